import Foundation

/// The answer of ``OP25BPolicy/decide(source:destination:port:now:)``: the
/// verdict, the rule that produced it, and an English explanation for
/// `portcullis op25b explain` and the web checker.
public struct OP25BDecision: Hashable, Sendable {
    /// Whether the connection may pass.
    public enum Verdict: String, Hashable, Sendable {
        case allowed
        case blocked
    }

    /// The rule that decided.
    public enum Reason: Hashable, Sendable {
        /// The source is on none of the ISP's access networks.
        case sourceNotSubscriber
        /// The source's access network has OP25B turned off.
        case networkNotBlocked(String)
        /// The destination port is not a blocked port.
        case portNotBlocked(Int)
        /// The destination is one of the ISP's mail hosts (the matching entry).
        case destinationIsMailHost(IPPrefix)
        /// The source is released by this exemption.
        case exempted(Exemption)
        /// OP25B applies: the source is on this access network.
        case blocked(String)
    }

    /// The source address (v4-mapped addresses already shown as IPv4).
    public let source: IPAddress
    /// The destination address.
    public let destination: IPAddress
    /// The TCP destination port.
    public let port: Int
    /// Why.
    public let reason: Reason

    /// Creates a decision; normally made by ``OP25BPolicy/decide(source:destination:port:now:)``.
    public init(source: IPAddress, destination: IPAddress, port: Int, reason: Reason) {
        self.source = source
        self.destination = destination
        self.port = port
        self.reason = reason
    }

    /// Blocked only for ``Reason/blocked(_:)``; every other reason allows.
    public var verdict: Verdict {
        if case .blocked = reason { return .blocked }
        return .allowed
    }

    /// One or two lines of English naming the network, exemption or mail host that decided.
    public var explanation: String {
        let connection = "\(source) -> \(destination) port \(port)"
        switch reason {
        case .portNotBlocked(let port):
            return "allowed: \(connection): port \(port) is not blocked; OP25B applies only to outbound TCP port 25."
        case .sourceNotSubscriber:
            return "allowed: \(connection): \(source) is not on any of the ISP's access networks, so OP25B does not apply."
        case .networkNotBlocked(let name):
            return "allowed: \(connection): \(source) is on access network \"\(name)\", which has OP25B turned off."
        case .destinationIsMailHost(let host):
            return "allowed: \(connection): \(destination) is an ISP mail host (\(host)),"
                + " the one port-25 destination open to subscribers."
        case .exempted(let exemption):
            let expiry = exemption.until.map { "until \(Timestamp.format($0))" } ?? "with no expiry"
            return "allowed: \(connection): \(source) is exempt from OP25B by exemption \(exemption.prefix) \(expiry).\n"
                + "Reason recorded: \(OP25BDecision.oneLine(exemption.reason))"
        case .blocked(let name):
            return "blocked: \(connection): \(source) is on access network \"\(name)\" where outbound port \(port) is blocked (OP25B),"
                + " and \(destination) is not an ISP mail host.\n"
                + "Send through the ISP's mail server, or another provider's submission port 587 with authentication."
        }
    }

    /// Reasons are operator text; keep explanations to their lines.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
