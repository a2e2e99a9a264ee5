import Foundation

/// An e-mail address as a visitor typed it, checked and reduced to what the
/// checker needs: the domain in A-label form, and the address a mail client
/// should use as its user name.
///
/// Forgiving where a person's typing is the only problem (surrounding spaces,
/// a full-width `＠`, full-width letters, ideographic dots), strict where the
/// address would not work in SMTP.
public struct CheckedAddress: Sendable, Hashable {
    /// RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
    public static let maximumLocalPartLength = 64
    /// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle
    /// brackets, so an address is at most 254.
    public static let maximumAddressLength = 254
    /// Input longer than this is refused before any other work: no valid
    /// address in any typed form comes near it.
    public static let maximumInputLength = 1024

    /// The local part, with full-width ASCII folded to ASCII.
    public let localPart: String
    /// The domain, lower-case ASCII (A-labels for internationalised names).
    public let domain: String
    /// The domain as typed when it is an internationalised name (``domain`` then
    /// has `xn--` labels), for display; nil otherwise.
    public let unicodeDomain: String?

    /// `localPart@domain`: the user name a mail client uses here.
    public var address: String { "\(localPart)@\(domain)" }

    /// Checks `input` and returns the address or the first problem found.
    public init(_ input: String) throws(AddressProblem) {
        guard input.utf8.count <= CheckedAddress.maximumInputLength else { throw .tooLong }
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingFullWidthAtSign()
        guard !trimmed.isEmpty else { throw .missing }
        guard let at = trimmed.lastIndex(of: "@") else { throw .noAtSign }

        let local = CheckedAddress.foldFullWidthASCII(String(trimmed[..<at]))
        let domainText = String(trimmed[trimmed.index(after: at)...])
        try CheckedAddress.checkLocalPart(local)
        guard !domainText.isEmpty else { throw .invalidDomain }
        if domainText.hasPrefix("[") || domainText.hasPrefix("［") {
            throw .addressLiteral
        }
        let domain = try IDNA.toASCII(domainText)
        guard local.utf8.count + 1 + domain.utf8.count <= CheckedAddress.maximumAddressLength else {
            throw .tooLong
        }
        self.localPart = local
        self.domain = domain
        // Worth showing only when the typed name really is internationalised,
        // not merely typed in full-width or with ideographic dots.
        let internationalised = !domainText.unicodeScalars.allSatisfy(\.isASCII)
            && domain.split(separator: ".").contains { $0.hasPrefix("xn--") }
        self.unicodeDomain = internationalised ? domainText : nil
    }

    /// RFC 5322 §3.2.3 dot-atom with UTF-8 allowed (RFC 6531 §3.3). Quoted local
    /// parts are refused: customers' mailboxes here never have them, and a
    /// provider's guidance does not depend on the local part anyway.
    static func checkLocalPart(_ local: String) throws(AddressProblem) {
        guard !local.isEmpty else { throw .invalidLocalPart }
        guard local.utf8.count <= maximumLocalPartLength else { throw .localPartTooLong }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            throw .invalidLocalPart
        }
        for scalar in local.unicodeScalars where !isAllowedInLocalPart(scalar) {
            throw .invalidLocalPart
        }
    }

    /// atext (RFC 5322 §3.2.3) plus `.`; non-ASCII except controls and spaces (RFC 6532 §3.2).
    private static func isAllowedInLocalPart(_ scalar: Unicode.Scalar) -> Bool {
        if !scalar.isASCII {
            return !(scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
                || scalar.properties.generalCategory == .format)
        }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", "/", "=", "?", "^", "_", "`", "{", "|", "}", "~", ".":
            return true
        default: return false
        }
    }

    /// Full-width ASCII variants (U+FF01…U+FF5E) to ASCII: a Japanese input
    /// method left in full-width mode produces them.
    static func foldFullWidthASCII(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0xFF01...0xFF5E).contains(scalar.value), let folded = Unicode.Scalar(scalar.value - 0xFEE0) {
                scalars.append(folded)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}

extension String {
    /// `＠` (U+FF20) to `@`.
    func replacingFullWidthAtSign() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{FF20}" ? "@" : $0 }))
    }
}
