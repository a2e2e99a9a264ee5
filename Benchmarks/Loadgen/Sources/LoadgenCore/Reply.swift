/// One server reply as the load generator sees it (RFC 5321 §4.2): a three-digit code and the
/// reply lines as received, without their line ends ("250-PIPELINING", "250 SMTPUTF8").
public struct Reply: Equatable, Sendable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// EHLO keywords (RFC 5321 §4.1.1.1): the first word of every line after the greeting, upper-cased.
    public var ehloKeywords: Set<String> {
        var keywords = Set<String>()
        for line in lines.dropFirst() where line.utf8.count > 4 {
            if let word = line.dropFirst(4).split(separator: " ", maxSplits: 1).first {
                keywords.insert(word.uppercased())
            }
        }
        return keywords
    }

    /// The reply as one line for error reports, multi-line replies joined with " / ".
    public var summary: String { lines.joined(separator: " / ") }
}
