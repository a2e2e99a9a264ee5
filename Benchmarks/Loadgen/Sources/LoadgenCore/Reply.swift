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

/// The reply codes a submission session expects, named as RFC 5321 §4.2.2 and RFC 4954 §6 do.
public enum ReplyCode {
    /// 220: the banner (§4.2.3), and "ready to start TLS" (RFC 3207 §4).
    public static let serviceReady = 220
    /// 221: the answer to QUIT.
    public static let closing = 221
    /// 235: AUTH succeeded (RFC 4954 §6).
    public static let authenticationSucceeded = 235
    /// 250: EHLO, MAIL, RCPT, and the end of DATA (the message is queued).
    public static let ok = 250
    /// 354: send the message, end it with <CRLF>.<CRLF>.
    public static let startMailInput = 354
}
