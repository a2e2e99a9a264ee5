/// The text of the customer pages in each language.
///
/// Keys are the same in every language (a test checks this). Values may hold
/// placeholders such as `{domain}`, filled by ``text(_:_:_:)``. All values are
/// plain text: the templates HTML-escape them like any other value, so a
/// placeholder filled with visitor input cannot inject markup.
enum Catalog {
    /// The strings for `language`.
    static func strings(_ language: Language) -> [String: String] {
        switch language {
        case .ja: return japanese
        case .en: return english
        }
    }

    /// One string with its placeholders filled. A missing key yields the key
    /// itself, so a gap shows up on the page instead of crashing it.
    static func text(_ key: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        fill(strings(language)[key] ?? key, values)
    }

    /// Replaces `{name}` in one pass, so text inserted from a value (which may
    /// come from a visitor) is never scanned for placeholders again.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        guard !values.isEmpty else { return template }
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"),
               let value = values[String(rest[rest.index(after: open)..<close])] {
                result += value
                rest = rest[rest.index(after: close)...]
            } else {
                result.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        return result + rest
    }
}
