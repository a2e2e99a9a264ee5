/// Finds a table header that does not start with a key, such as `[=` or `[[ %`, before the
/// text reaches TOMLKit.
///
/// TOMLKit's parser (toml++) asserts that a header's first character begins a key
/// (`parse_key`, `TOML_ASSERT_ASSUME`): in a debug build the process aborts, in a release
/// build the compiler may assume it and the behaviour is undefined. A configuration file
/// must give one line of error, never a crash, so such headers are refused here. Found by the
/// configuration fuzz target (Fuzz/Targets/FuzzConfiguration).
///
/// ```
/// table-header       = "[" ws key ws "]"          (TOML 1.0)
/// array-table-header = "[[" ws key ws "]]"
/// key                = bare-key / quoted-key / dotted-key;  bare-key = 1*( ALPHA / DIGIT / "-" / "_" )
/// ```
/// A line inside a multi-line string (`"""` or `'''`) is text, not a header, and is skipped.
enum TableHeaderCheck {
    /// The 1-based number of the first line holding a header with no key start, or nil.
    static func firstKeylessHeader(in text: String) -> Int? {
        var openMultilineQuote: [UInt8]?
        for (index, line) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line)
            let startsInsideString = openMultilineQuote != nil
            openMultilineQuote = multilineQuoteOpen(after: bytes, openAtStart: openMultilineQuote)
            guard !startsInsideString else { continue }
            var rest = bytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard rest.first == UInt8(ascii: "[") else { continue }
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "[") { rest = rest.dropFirst() }
            rest = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            // An empty header and a missing "]" are errors TOMLKit reports itself.
            guard let first = rest.first, first != UInt8(ascii: "]"), first != UInt8(ascii: "\r") else { continue }
            if !isKeyStart(first) { return index + 1 }
        }
        return nil
    }

    /// `ALPHA / DIGIT / "-" / "_"`, or the quote of a quoted key.
    private static func isKeyStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
             UInt8(ascii: "\""), UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }

    /// Which multi-line string delimiter is still open at the end of `line`, given the one open
    /// at its start: each `"""` or `'''` opens one when none is open and closes the open one.
    private static func multilineQuoteOpen(after line: [UInt8], openAtStart: [UInt8]?) -> [UInt8]? {
        var open = openAtStart
        var index = 0
        while index + 3 <= line.count {
            let triple = Array(line[index..<index + 3])
            if let current = open {
                if triple == current { open = nil; index += 3; continue }
            } else if triple == Array("\"\"\"".utf8) || triple == Array("'''".utf8) {
                open = triple
                index += 3
                continue
            }
            index += 1
        }
        return open
    }
}
