/// Where the recipients of one domain go (RFC 5321 §5.1, plus static routes).
public enum Route: Sendable, Hashable, CustomStringConvertible {
    /// A hosted domain: into local mailboxes.
    case local
    /// A static route from `[delivery] routes` (exact domain or `*` smarthost): this host
    /// and port, no MX lookup.
    case relay(host: String, port: Int)
    /// The domain's MX records (or its address records when it has none), on `port`.
    case mx(domain: String, port: Int)

    /// Recipients with equal destinations can share a connection.
    public var description: String {
        switch self {
        case .local: return "local"
        case .relay(let host, let port): return "relay:\(host):\(port)"
        case .mx(let domain, let port): return "mx:\(domain):\(port)"
        }
    }
}
