import Mustache

/// The escaping every page template uses (`{{% CONTENT_TYPE: PORTCULLIS_HTML}}`).
///
/// Mustache's built-in HTML escaping compares whole Swift `Character`s, so a
/// quote followed by a combining mark (`"\u{301}`) is one Character that does
/// not equal `"` and passes through unescaped, while a browser's tokenizer sees
/// the quote and ends the attribute. This escaper works on Unicode scalars,
/// which is what the HTML tokenizer reads (HTML Living Standard §13.2.5).
struct ScalarHTMLEscaping: MustacheContentType {
    /// The name templates select with the CONTENT_TYPE pragma.
    static let name = "PORTCULLIS_HTML"

    func escapeText(_ text: String) -> String {
        ScalarHTMLEscaping.escape(text)
    }

    /// Escapes `& < > " '` so the text is safe in element content and in
    /// quoted attribute values.
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
            case "\0": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Makes the content type known to the template parser; idempotent.
    static func register() {
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: name)
    }
}
