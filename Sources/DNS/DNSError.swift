/// Why a lookup produced no records.
///
/// Delivery must tell a permanent answer from a transient one (RFC 5321 §5.1: a temporary
/// DNS failure defers the message, a name that does not exist bounces it), so the three
/// outcomes that mean "nothing found" are distinct cases.
public enum DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// NXDOMAIN: the name does not exist at all (RFC 1035 §4.1.1 RCODE 3). Permanent.
    case nameNotFound(name: String)
    /// NOERROR with no record of the asked type: the name exists but has no such data
    /// (RFC 2308 §2.2). Permanent for this type; another type may exist.
    case noData(name: String, type: DNSRecordType)
    /// SERVFAIL, a timeout, REFUSED or a reply that could not be parsed: try again later.
    case temporaryFailure(name: String, reason: String)
    /// The name cannot be put in a query (empty, too long, or not ASCII: U-labels must be
    /// converted to A-labels first, RFC 5890 §2.3.2.1). Permanent.
    case invalidName(name: String)
    /// A nameserver address in the configuration could not be used.
    case invalidConfiguration(String)

    /// True when retrying later may give a different answer.
    public var isTransient: Bool {
        if case .temporaryFailure = self { return true }
        return false
    }

    /// A one-line explanation, suitable for a queue's last-error column and a DSN.
    public var description: String {
        switch self {
        case .nameNotFound(let name):
            return "\(name): no such domain (NXDOMAIN)"
        case .noData(let name, let type):
            return "\(name): no \(type) record"
        case .temporaryFailure(let name, let reason):
            return "\(name): temporary DNS failure: \(reason)"
        case .invalidName(let name):
            return "\(name): not a valid DNS name"
        case .invalidConfiguration(let text):
            return "invalid DNS configuration: \(text)"
        }
    }
}
