/// Why a message could not be signed or a key could not be created or loaded.
///
/// Signing errors come from the message (a header block that is not RFC 5322),
/// never from a crash: the caller decides whether to deliver the message
/// unsigned or to refuse it. Key errors name the file involved.
public enum DKIMError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A header line (1-based) is neither `name: value` nor a continuation line
    /// (RFC 5322 §2.2, §2.2.3).
    case malformedHeader(line: Int)
    /// The message has no From header field; RFC 6376 §5.4 requires it to be signed.
    case missingFrom
    /// The signing domain is not a DNS name made of LDH labels (RFC 6376 §3.5 `d=`).
    case invalidDomain(String)
    /// The selector is not a sequence of LDH labels (RFC 6376 §3.1).
    case invalidSelector(String)
    /// A key file already exists where a new key was to be written.
    case keyExists(path: String)
    /// The selector already publishes a key of the other kind for this domain;
    /// two key records at one DNS name make verifiers fail (RFC 6376 §3.6.2.2
    /// expects one), so each key needs its own selector.
    case selectorInUse(selector: String, domain: String)
    /// A key file could not be parsed.
    case invalidKeyFile(path: String, reason: String)
    /// A file system operation failed; `reason` says which and why.
    case io(path: String, reason: String)
    /// The cryptographic library refused to sign or to create a key.
    case cryptography(String)

    public var description: String {
        switch self {
        case .malformedHeader(let line):
            return "header line \(line) is neither a 'name: value' field nor a folded continuation"
        case .missingFrom:
            return "the message has no From header field, which DKIM must sign (RFC 6376 §5.4)"
        case .invalidDomain(let domain):
            return "'\(domain)' is not a valid signing domain (letters, digits and hyphens in dot-separated labels)"
        case .invalidSelector(let selector):
            return "'\(selector)' is not a valid DKIM selector (letters, digits and hyphens in dot-separated labels)"
        case .keyExists(let path):
            return "a DKIM key already exists at \(path); choose another selector or remove the file"
        case .selectorInUse(let selector, let domain):
            return "selector '\(selector)' already has a key for \(domain); give each key its own selector (e.g. '\(selector)-ed25519')"
        case .invalidKeyFile(let path, let reason):
            return "cannot read the DKIM key \(path): \(reason)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .cryptography(let reason):
            return "cryptography failed: \(reason)"
        }
    }
}
