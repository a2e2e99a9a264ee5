import Mustache

/// The escaping every page template uses (`{{% CONTENT_TYPE: PORTCULLIS_HTML}}`): ``MarkupText``.
///
/// Mustache's built-in HTML escaping compares whole Swift `Character`s, so a
/// quote followed by a combining mark (`"\u{301}`) is one Character that does
/// not equal `"` and passes through unescaped, while a browser's tokenizer sees
/// the quote and ends the attribute.
struct ScalarHTMLEscaping: MustacheContentType {
    /// The name templates select with the CONTENT_TYPE pragma.
    static let name = "PORTCULLIS_HTML"

    func escapeText(_ text: String) -> String {
        MarkupText.escape(text)
    }

    /// Makes the content type known to the template parser; idempotent.
    static func register() {
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: name)
    }
}
