/// A parsed DKIM tag list, as in DKIM-Signature fields and key records
/// (RFC 6376 §3.2):
///
/// ```
/// tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
/// tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
/// tag-name  =  ALPHA *ALNUMPUNC
/// ```
///
/// Values keep their inner folding white space; callers that need it gone
/// (base64 tags) remove it. Input from the network: parsing returns nil on
/// malformed lists, never traps.
struct DKIMTagList {
    /// Tag names and values in order.
    let tags: [(name: String, value: String)]

    /// Parses a tag list; nil when a tag-spec has no `=`, a bad name, or a
    /// duplicate name ("Tags with duplicate names MUST NOT occur", §3.2).
    init?(_ text: String) {
        var tags: [(name: String, value: String)] = []
        var seen = Set<String>()
        var specs = text.split(separator: ";", omittingEmptySubsequences: false)
        // A trailing ";" leaves one empty spec, which the grammar allows.
        if let last = specs.last, Self.trimmed(last).isEmpty {
            specs.removeLast()
        }
        for spec in specs {
            guard let equals = spec.firstIndex(of: "=") else { return nil }
            let name = Self.trimmed(spec[..<equals])
            let value = Self.trimmed(spec[spec.index(after: equals)...])
            guard Self.isTagName(name), seen.insert(name).inserted else { return nil }
            tags.append((name, value))
        }
        self.tags = tags
    }

    /// The value of a tag, or nil when absent.
    subscript(name: String) -> String? {
        tags.first { $0.name == name }?.value
    }

    /// FWS (RFC 5322 §3.2.2): spaces, tabs and the CRLFs of folding.
    static func isFoldingWhiteSpace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\r\n" || character == "\r" || character == "\n"
    }

    /// The text without folding white space anywhere (for base64 values, §3.5 `b=`, `bh=`).
    static func removingWhiteSpace(_ text: String) -> String {
        String(text.filter { !isFoldingWhiteSpace($0) })
    }

    private static func trimmed(_ text: Substring) -> String {
        var slice = text
        while let first = slice.first, isFoldingWhiteSpace(first) { slice.removeFirst() }
        while let last = slice.last, isFoldingWhiteSpace(last) { slice.removeLast() }
        return String(slice)
    }

    /// RFC 6376 §3.2: `tag-name = ALPHA *ALNUMPUNC`, ALNUMPUNC = ALPHA / DIGIT / "_".
    private static func isTagName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
        }
    }
}
