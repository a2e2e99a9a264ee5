/// Validation and normalisation of the domain names the directory stores.
///
/// Names are stored as lower-case ASCII. Internationalised names must be given in
/// their A-label form (`xn--…`, RFC 5890 §2.3.2.1): the directory does not carry an
/// IDNA implementation, and a mail server compares the A-label form anyway.
package enum DomainName {
    /// RFC 1035 §2.3.4: labels of at most 63 octets, names of at most 255 octets;
    /// RFC 5321 §4.5.3.1.2 caps a domain in SMTP at 255 octets as well.
    static let maximumLabelLength = 63
    static let maximumLength = 253  // 255 on the wire minus the length octets of the first label and the root

    /// Returns the lower-cased name or throws ``DirectoryError/invalidDomainName(_:reason:)``.
    package static func normalise(_ input: String) throws -> String {
        func invalid(_ reason: String) -> DirectoryError { .invalidDomainName(input, reason: reason) }
        guard !input.isEmpty else { throw invalid("it is empty") }
        guard input.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw invalid("it has non-ASCII characters; give the A-label form (xn--…)")
        }
        let name = input.lowercased()
        guard !name.hasSuffix(".") else { throw invalid("give it without the trailing dot") }
        guard name.utf8.count <= maximumLength else { throw invalid("it is longer than \(maximumLength) characters") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            // RFC 1123 §2.1 LDH rule: letters, digits, hyphens; no hyphen at either end.
            guard !label.isEmpty else { throw invalid("it has an empty label") }
            guard label.utf8.count <= maximumLabelLength else {
                throw invalid("label \"\(label)\" is longer than \(maximumLabelLength) characters")
            }
            guard label.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }) else {
                throw invalid("label \"\(label)\" may only have letters, digits and hyphens")
            }
            guard label.first != "-", label.last != "-" else {
                throw invalid("label \"\(label)\" begins or ends with a hyphen")
            }
        }
        // An all-numeric last label would make an IP address look like a domain.
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw invalid("the last label is all digits (an IP address is not a domain)")
        }
        return name
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
