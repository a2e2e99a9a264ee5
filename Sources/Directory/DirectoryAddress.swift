/// An address as the directory stores and matches it: local part and domain.
///
/// Matching rule: the domain is compared lower-cased; the local part is kept as given
/// for display but compared after Unicode lower-casing (``key``). So `Taro@ALATO.example`
/// and `taro@alato.example` are the same mailbox.
package struct DirectoryAddress: Sendable, Hashable {
    /// RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
    static let maximumLocalPartLength = 64

    /// The local part, case preserved.
    package let localPart: String
    /// The domain, lower-cased.
    package let domain: String

    /// `local@domain` with the case of the local part preserved.
    package var display: String { "\(localPart)@\(domain)" }
    /// The form used for unique keys and look-ups.
    package var key: String { "\(localPart.lowercased())@\(domain)" }

    /// Splits at the last `@` without validating: used for look-ups of addresses from the network,
    /// where anything odd should simply not match. Returns nil when there is no `@`.
    package static func lookup(_ input: String) -> DirectoryAddress? {
        guard let at = input.lastIndex(of: "@") else { return nil }
        let local = String(input[..<at])
        let domain = String(input[input.index(after: at)...])
        guard !local.isEmpty, !domain.isEmpty else { return nil }
        return DirectoryAddress(localPart: local, domain: domain.lowercased())
    }

    /// Parses and validates an address to be stored (account or alias).
    ///
    /// The local part must be a dot-atom (RFC 5322 §3.2.3) of at most 64 octets; UTF-8 is allowed
    /// (RFC 6531 §3.3). `%` and `!` are refused although atext allows them: they are the old
    /// percent-hack and UUCP routing characters (RFC 1123 §5.2.16, RFC 5321 §2.3.5 and Appendix C) and
    /// a stored name containing them invites relay confusion.
    package static func parseForStorage(_ input: String) throws -> DirectoryAddress {
        func invalid(_ reason: String) -> DirectoryError { .invalidAddress(input, reason: reason) }
        guard let at = input.lastIndex(of: "@") else { throw invalid("it has no @") }
        let local = String(input[..<at])
        let domainPart = String(input[input.index(after: at)...])
        guard !local.isEmpty else { throw invalid("the part before @ is empty") }
        guard local.utf8.count <= maximumLocalPartLength else {
            throw invalid("the part before @ is longer than \(maximumLocalPartLength) octets")
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw invalid("dots may not begin or end the part before @ or follow each other")
        }
        for scalar in local.unicodeScalars where !isAllowedInLocalPart(scalar) {
            throw invalid("the character \"\(scalar.escaped(asASCII: true))\" is not allowed before @")
        }
        let domain: String
        do {
            domain = try DomainName.normalise(domainPart)
        } catch {
            throw invalid("the domain \"\(domainPart)\" is not a valid domain name")
        }
        return DirectoryAddress(localPart: local, domain: domain)
    }

    /// RFC 5322 §3.2.3 atext minus `%` and `!`, plus `.` (checked for placement separately),
    /// plus any non-ASCII scalar except controls (RFC 6532 §3.2 UTF8-non-ascii).
    private static func isAllowedInLocalPart(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x80 {
            return !(scalar.properties.generalCategory == .control || scalar.properties.isWhitespace)
        }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "#", "$", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~", ".": return true
        default: return false
        }
    }
}
