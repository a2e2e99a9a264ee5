/// Why a visitor's input is not an address the checker can answer for.
///
/// Each case has a localized message (``Catalog``) and a stable code for the
/// JSON API. None of them says anything about a mailbox: the checker only
/// reads the domain.
public enum AddressProblem: String, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No address was given.
    case missing = "missing_email"
    /// Longer than an SMTP path allows (RFC 5321 §4.5.3.1.3).
    case tooLong = "address_too_long"
    /// There is no `@`.
    case noAtSign = "missing_at_sign"
    /// The part before `@` is empty or not a dot-atom.
    case invalidLocalPart = "invalid_local_part"
    /// The part before `@` is longer than 64 octets (RFC 5321 §4.5.3.1.1).
    case localPartTooLong = "local_part_too_long"
    /// The domain is empty or not a host name, also after IDNA conversion.
    case invalidDomain = "invalid_domain"
    /// The domain is longer than 253 characters or has a label over 63 (RFC 1035 §2.3.4).
    case domainTooLong = "domain_too_long"
    /// An address literal such as `user@[192.0.2.1]` (RFC 5321 §4.1.3): no provider to look up.
    case addressLiteral = "address_literal"

    /// The code the JSON API reports.
    public var code: String { rawValue }

    /// The English message, for logs and the command line (`portcullis dns-records`).
    public var description: String { Catalog.text("error_\(code)", .en) }
}
