/// The resource record types the resolver asks for (RFC 1035 §3.2.2, RFC 3596 §2.1, RFC 2782).
public enum DNSRecordType: UInt16, Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 host address (RFC 1035 §3.4.1).
    case a = 1
    /// A mail exchanger (RFC 1035 §3.3.9).
    case mx = 15
    /// Text strings (RFC 1035 §3.3.14).
    case txt = 16
    /// An IPv6 host address (RFC 3596 §2.2).
    case aaaa = 28
    /// A service location (RFC 2782).
    case srv = 33

    /// The mnemonic, e.g. `MX`.
    public var description: String {
        switch self {
        case .a: return "A"
        case .mx: return "MX"
        case .txt: return "TXT"
        case .aaaa: return "AAAA"
        case .srv: return "SRV"
        }
    }
}
