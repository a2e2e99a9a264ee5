/// One of the ISP's access (subscriber) networks: the address pools of a line
/// product, from a `[[access_networks]]` table of the configuration.
///
/// ```toml
/// [[access_networks]]
/// name = "alato-express"
/// prefixes = ["203.0.113.0/24", "2001:db8:100::/40"]
/// op25b = true
/// ```
public struct AccessNetwork: Hashable, Sendable {
    /// The operator's name for the network, used in rules, logs and explanations.
    public let name: String
    /// The network's prefixes, IPv4 and IPv6.
    public let prefixes: [IPPrefix]
    /// True when outbound port 25 is blocked from this network.
    public let op25b: Bool

    /// Creates a network from already parsed prefixes; ``OP25BPolicy`` validates it.
    public init(name: String, prefixes: [IPPrefix], op25b: Bool) {
        self.name = name
        self.prefixes = prefixes
        self.op25b = op25b
    }
}
