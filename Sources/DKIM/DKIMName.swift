/// Checks for the DNS names a DKIM key is published under. Both end up in a
/// header field and in file names, so anything outside LDH labels is refused.
enum DKIMName {
    /// A signing domain: dot-separated LDH labels (RFC 6376 §3.5 `d=`,
    /// RFC 5321 §4.1.2 `Domain`), returned in lower case without a final dot.
    static func normalizedDomain(_ text: String) -> String? {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        // RFC 1035 §2.3.4: at most 253 octets in text form.
        guard !name.isEmpty, name.utf8.count <= 253, areLabels(name) else { return nil }
        return name
    }

    /// A selector: dot-separated LDH labels (RFC 6376 §3.1 `selector = sub-domain
    /// *( "." sub-domain )`). Case is kept; DNS compares without it.
    static func isValidSelector(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && areLabels(text)
    }

    /// RFC 5321 §4.1.2: `sub-domain = Let-dig [Ldh-str]`; RFC 1035 §2.3.4: labels
    /// of at most 63 octets.
    private static func areLabels(_ name: String) -> Bool {
        for label in name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else { return false }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            for byte in label {
                let isLetter = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                let isDigit = (0x30...0x39).contains(byte)
                guard isLetter || isDigit || byte == UInt8(ascii: "-") else { return false }
            }
        }
        return true
    }
}
