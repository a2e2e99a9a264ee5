extension Reply {
    /// A reply from its code and its text lines as they came off the wire, with the
    /// enhanced status code split off when every line starts with the same one whose class
    /// matches the reply code (RFC 2034 §3); otherwise the lines are kept whole.
    public init(code: Int, enhancedPrefixedLines lines: [String]) {
        guard let first = lines.first, let (enhanced, _) = EnhancedStatusCode.split(first),
              enhanced.statusClass == code / 100 else {
            self.init(code: code, lines: lines)
            return
        }
        var stripped: [String] = []
        for line in lines {
            guard let (lineCode, rest) = EnhancedStatusCode.split(line), lineCode == enhanced else {
                self.init(code: code, lines: lines)
                return
            }
            stripped.append(rest)
        }
        self.init(code: code, enhanced: enhanced, lines: stripped)
    }
}

extension EnhancedStatusCode {
    /// `2.1.0 Sender ok` → (2.1.0, "Sender ok"). RFC 3463 §2: class 1 digit (2, 4 or 5),
    /// subject and detail 1–3 digits each.
    public static func split(_ text: String) -> (EnhancedStatusCode, String)? {
        let token = text.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].count == 1, (1...3).contains(parts[1].count), (1...3).contains(parts[2].count),
              let statusClass = Int(parts[0]), [2, 4, 5].contains(statusClass),
              let subject = Int(parts[1]), let detail = Int(parts[2]) else { return nil }
        let rest = text.dropFirst(token.count).drop { $0 == " " }
        return (EnhancedStatusCode(statusClass, subject, detail), String(rest))
    }
}
