import Policy

/// Tells which line a visitor is on from the client address, with the same
/// OP25B policy value that renders the firewall rules (DESIGN.md: one policy
/// model, three consumers).
public struct LineDetector: Sendable {
    public let policy: OP25BPolicy
    public let resolver: ClientAddressResolver

    public init(policy: OP25BPolicy, resolver: ClientAddressResolver) {
        self.policy = policy
        self.resolver = resolver
    }

    /// The ISP's line when the client address lies in an access network with
    /// OP25B on; another provider's otherwise, including when no address is known.
    public func detect(peer: IPAddress?, forwardedFor: [String]) -> LineDetection {
        guard let client = resolver.clientAddress(peer: peer, forwardedFor: forwardedFor) else {
            return LineDetection(line: .other, source: .detected, clientAddress: nil)
        }
        let blocked = policy.accessNetwork(containing: client)?.op25b ?? false
        return LineDetection(line: blocked ? .isp : .other, source: .detected, clientAddress: client)
    }

    /// The visitor's choice when given, the detected line otherwise.
    public func line(choice: Line?, peer: IPAddress?, forwardedFor: [String]) -> LineDetection {
        if let choice {
            return LineDetection(line: choice, source: .chosen, clientAddress: nil)
        }
        return detect(peer: peer, forwardedFor: forwardedFor)
    }
}
