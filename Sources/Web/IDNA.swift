import Foundation

/// Converts a domain as a visitor types it into the ASCII form (A-labels,
/// RFC 5890 §2.3.2.1) that DNS and the directory use.
///
/// This is a deliberately small subset of IDNA2008 (RFC 5891) with the UTS #46
/// style mapping that browsers apply: full-width forms and compatibility
/// characters are folded with NFKC, upper case is lowered, and the ideographic
/// full stops that Japanese input methods produce separate labels. A label that
/// is still not plain ASCII is Punycode-encoded (RFC 3492). Characters that
/// IDNA2008 would never allow in a label (spaces, punctuation, symbols such as
/// emoji, controls) are refused instead of being encoded.
public enum IDNA {
    /// RFC 1035 §2.3.4: 63 octets per label.
    static let maximumLabelLength = 63
    /// RFC 1035 §2.3.4: 255 octets on the wire, which is 253 characters in text form.
    static let maximumDomainLength = 253

    /// Dots that separate labels besides U+002E (RFC 3490 §3.1, kept by UTS #46):
    /// ideographic full stop, full-width full stop, half-width ideographic full stop.
    static let labelSeparators: Set<Unicode.Scalar> = ["\u{002E}", "\u{3002}", "\u{FF0E}", "\u{FF61}"]

    /// The lower-case A-label form of `domain`, or the problem with it. The CLI can use
    /// this to normalise a domain before other look-ups (e.g. DKIM keys).
    public static func toASCII(_ domain: String) throws(AddressProblem) -> String {
        // Bound the work before any normalisation: a valid name in any form is
        // far shorter than this.
        guard !domain.isEmpty else { throw .invalidDomain }
        guard domain.unicodeScalars.count <= 1024 else { throw .domainTooLong }

        var labels: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in domain.unicodeScalars {
            if labelSeparators.contains(scalar) {
                labels.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        labels.append(String(current))
        // A single trailing dot names the root (an absolute name); accept it.
        if labels.count > 1, labels.last == "" {
            labels.removeLast()
        }

        let asciiLabels = try labels.map { (label) throws(AddressProblem) -> String in try asciiLabel(label) }
        // An all-numeric top-level label would make an IPv4 address look like a domain.
        if let last = asciiLabels.last, last.allSatisfy(\.isASCIIDigit) {
            throw .invalidDomain
        }
        let name = asciiLabels.joined(separator: ".")
        guard name.utf8.count <= maximumDomainLength else { throw .domainTooLong }
        return name
    }

    /// One label to its ASCII form.
    static func asciiLabel(_ label: String) throws(AddressProblem) -> String {
        guard !label.isEmpty else { throw .invalidDomain }
        if label.unicodeScalars.allSatisfy(\.isASCII) {
            let lower = label.lowercased()
            try checkLDH(lower)
            return lower
        }
        // UTS #46 §4 step 1 (approximately): compatibility mapping and case folding.
        let mapped = label.precomposedStringWithCompatibilityMapping.lowercased().precomposedStringWithCompatibilityMapping
        // The mapping can turn a full-width label into plain ASCII ("ａｌａｔｏ" → "alato").
        if mapped.unicodeScalars.allSatisfy(\.isASCII) {
            guard !mapped.isEmpty else { throw .invalidDomain }
            try checkLDH(mapped)
            return mapped
        }
        let scalars = Array(mapped.unicodeScalars)
        for scalar in scalars where !isAllowedInULabel(scalar) {
            throw .invalidDomain
        }
        // RFC 5891 §4.2.3.1: no "--" in the third and fourth positions of a U-label;
        // §4.2.3.2: no leading combining mark; RFC 5891 §4.2.3.1 also forbids
        // a hyphen at either end.
        if scalars.count >= 4, scalars[2] == "-", scalars[3] == "-" { throw .invalidDomain }
        if scalars.first == "-" || scalars.last == "-" { throw .invalidDomain }
        if let first = scalars.first, first.properties.generalCategory.isMark { throw .invalidDomain }

        guard let encoded = Punycode.encode(scalars) else { throw .domainTooLong }
        let aLabel = "xn--" + encoded
        guard aLabel.utf8.count <= maximumLabelLength else { throw .domainTooLong }
        return aLabel
    }

    /// RFC 1123 §2.1 letters, digits and hyphens, no hyphen at either end, at most 63 octets.
    private static func checkLDH(_ label: String) throws(AddressProblem) {
        guard label.utf8.count <= maximumLabelLength else { throw .domainTooLong }
        guard label.utf8.allSatisfy({ byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-")
        }) else { throw .invalidDomain }
        guard label.first != "-", label.last != "-" else { throw .invalidDomain }
    }

    /// Letters, marks and decimal digits (the bulk of IDNA2008 PVALID, RFC 5892 §2),
    /// plus the hyphen; every other category is refused.
    private static func isAllowedInULabel(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "-"
        }
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .otherLetter, .modifierLetter, .titlecaseLetter, .uppercaseLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber:
            return true
        default:
            // U+30FB KATAKANA MIDDLE DOT is allowed in Japanese labels (RFC 5892 Appendix A.7).
            return scalar == "\u{30FB}"
        }
    }
}

extension Unicode.GeneralCategory {
    /// True for the three mark categories (Mn, Mc, Me).
    var isMark: Bool {
        self == .nonspacingMark || self == .spacingMark || self == .enclosingMark
    }
}

extension Character {
    /// `0`–`9` only (not other Unicode digits).
    var isASCIIDigit: Bool { isASCII && isNumber }
}
