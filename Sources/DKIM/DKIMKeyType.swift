/// The kind of a DKIM key: the `k=` tag of the key record (RFC 6376 §3.6.1,
/// RFC 8463 §4.2) and the middle part of a key file name.
public enum DKIMKeyType: String, Hashable, Sendable, CaseIterable, Comparable {
    /// RSA, signing as `rsa-sha256` (RFC 6376 §3.3.1; 2048 bits, RFC 8301 §3.2).
    case rsa
    /// Ed25519, signing as `ed25519-sha256` (RFC 8463 §3).
    case ed25519

    /// The `a=` tag value of signatures made with this kind of key.
    public var signatureAlgorithm: String {
        switch self {
        case .rsa: return "rsa-sha256"
        case .ed25519: return "ed25519-sha256"
        }
    }

    /// RSA first: when a message is dual-signed, verifiers that know only RSA
    /// meet their signature first, and the order stays the same from run to run.
    public static func < (lhs: DKIMKeyType, rhs: DKIMKeyType) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int {
        switch self {
        case .rsa: return 0
        case .ed25519: return 1
        }
    }
}
