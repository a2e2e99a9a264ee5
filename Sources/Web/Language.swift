/// The languages the customer pages speak: Japanese by default, English on request.
public enum Language: String, Sendable, Hashable, CaseIterable, Codable {
    case ja
    case en

    /// The default when neither the URL nor the browser asks for another.
    public static let defaultLanguage = Language.ja

    /// Chooses the page language: an explicit `?lang=` wins when it names a
    /// supported language; otherwise the Accept-Language header (RFC 9110
    /// §12.5.4) is read, preferring the highest q-value and, among equal ones,
    /// the first listed; otherwise Japanese.
    public static func negotiate(query: String?, acceptLanguage: String?) -> Language {
        if let query, let language = Language(tag: query) {
            return language
        }
        guard let acceptLanguage else { return defaultLanguage }
        var best: (language: Language, quality: Double)?
        // Bound the work on a hostile header: real browsers send a handful of ranges.
        for range in acceptLanguage.split(separator: ",").prefix(32) {
            let parts = range.split(separator: ";")
            guard let tag = parts.first?.trimmingSpaces, !tag.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingSpaces.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].lowercased() == "q" {
                    // RFC 9110 §12.4.2: qvalue is 0 to 1 with up to three decimals.
                    quality = Double(pair[1]).map { min(max($0, 0), 1) } ?? 0
                }
            }
            guard quality > 0 else { continue }
            let language = tag == "*" ? defaultLanguage : Language(tag: String(tag))
            guard let language else { continue }
            if best == nil || quality > best!.quality {
                best = (language, quality)
            }
        }
        return best?.language ?? defaultLanguage
    }

    /// A language from a tag such as `en`, `en-US`, `ja-JP` (primary subtag only,
    /// case-insensitive, RFC 5646 §2.1.1).
    public init?(tag: String) {
        let primary = tag.split(separator: "-", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard let language = Language(rawValue: primary) else { return nil }
        self = language
    }

    /// The other language, for the page's language switch.
    var other: Language { self == .ja ? .en : .ja }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP OWS, RFC 9110 §5.6.3).
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
