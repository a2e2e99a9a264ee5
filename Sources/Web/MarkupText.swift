/// Escaping for text written into the markup this module produces: the HTML pages (through
/// ``ScalarHTMLEscaping``) and the XML documents (autoconfig, autodiscover, property lists).
///
/// It works on Unicode scalars, which is what HTML and XML tokenizers read (HTML Living
/// Standard §13.2.5, XML 1.0 §2.2): a quote followed by a combining mark is one Swift
/// `Character` that does not equal `"`, yet a tokenizer sees the quote.
enum MarkupText {
    /// Escapes `& < > " '` so the text is safe as element content and inside a double- or
    /// single-quoted attribute, in HTML and in XML (XML 1.0 §2.4, §4.6; `&#39;` rather than
    /// `&apos;`, which HTML 4 lacks). Characters XML 1.0 cannot carry at all (C0 controls other
    /// than tab, CR and LF, among them NUL, which HTML refuses too; U+FFFE/U+FFFF; §2.2 Char)
    /// are dropped.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Decodes the predefined entities and character references in element
    /// text read from a request (XML 1.0 §4.1, §4.6). Unknown entities are
    /// kept as written: the value is then simply not a valid address.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "&", let semicolon = text[index...].prefix(12).firstIndex(of: ";") else {
                result.append(character)
                index = text.index(after: index)
                continue
            }
            let name = text[text.index(after: index)..<semicolon]
            var decoded: String?
            switch name {
            case "amp": decoded = "&"
            case "lt": decoded = "<"
            case "gt": decoded = ">"
            case "quot": decoded = "\""
            case "apos": decoded = "'"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X"), let value = UInt32(name.dropFirst(2), radix: 16) {
                    decoded = Unicode.Scalar(value).map { String($0) }
                } else if name.hasPrefix("#"), let value = UInt32(name.dropFirst()) {
                    decoded = Unicode.Scalar(value).map { String($0) }
                }
            }
            if let decoded {
                result += decoded
                index = text.index(after: semicolon)
            } else {
                result.append(character)
                index = text.index(after: index)
            }
        }
        return result
    }
}
