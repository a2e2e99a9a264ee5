/// An access network as the configuration file writes it: prefixes still text.
///
/// ``OP25BPolicy/init(accessNetworks:mailHosts:blockedPorts:exemptions:)``
/// parses and checks these and names the offending entry in its errors.
public struct AccessNetworkSpec: Hashable, Sendable {
    /// The `name` key.
    public var name: String
    /// The `prefixes` key: addresses or prefixes in CIDR notation.
    public var prefixes: [String]
    /// The `op25b` key.
    public var op25b: Bool

    /// Creates a spec from the three keys of one `[[access_networks]]` table.
    public init(name: String, prefixes: [String], op25b: Bool) {
        self.name = name
        self.prefixes = prefixes
        self.op25b = op25b
    }
}
