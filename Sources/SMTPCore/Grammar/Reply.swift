/// An SMTP reply: a three-digit code, an optional enhanced status code and one or more text lines.
///
/// `Reply` is also the error type of the protocol core: every refusal the parser or the
/// session state machine produces is the reply the client will see (errors carry
/// their reply). Named replies live in `Reply+Catalogue.swift`; bare numbers are not used
/// anywhere else.
///
/// ```
/// S: 250-mail.alato.example
/// S: 250 PIPELINING
/// ```
public struct Reply: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reply code (RFC 5321 §4.2): first digit 2 success, 3 intermediate, 4 transient, 5 permanent.
    public var code: Int
    /// The enhanced status code prefixed on every line, when present (RFC 2034 §3).
    public var enhanced: EnhancedStatusCode?
    /// The text lines. Never empty when encoded: an empty array encodes as one empty line.
    public var lines: [String]

    /// Creates a reply.
    public init(code: Int, enhanced: EnhancedStatusCode? = nil, lines: [String]) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines
    }

    /// Creates a one-line reply.
    public init(code: Int, enhanced: EnhancedStatusCode? = nil, _ text: String) {
        self.init(code: code, enhanced: enhanced, lines: [text])
    }

    /// True for 2yz replies (RFC 5321 §4.2.1).
    public var isPositive: Bool { (200..<300).contains(code) }
    /// True for 3yz replies: the server waits for more input (354, 334).
    public var isIntermediate: Bool { (300..<400).contains(code) }
    /// True for 4yz replies.
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// True for 5yz replies.
    public var isPermanentFailure: Bool { (500..<600).contains(code) }
    /// True for any 4yz or 5yz reply.
    public var isFailure: Bool { isTransientFailure || isPermanentFailure }

    /// The same reply with different text, keeping code and enhanced code.
    public func with(text: String) -> Reply {
        Reply(code: code, enhanced: enhanced, lines: [text])
    }

    /// The same reply with different lines, keeping code and enhanced code.
    public func with(lines: [String]) -> Reply {
        Reply(code: code, enhanced: enhanced, lines: lines)
    }

    /// The reply as it is written on the wire, every line ended by CRLF.
    ///
    /// Multi-line replies use `code-` on every line but the last, which uses `code `
    /// (RFC 5321 §4.2.1). The enhanced code, when present, follows the separator on
    /// every line (RFC 2034 §3). CR and LF inside a text line would let text forge
    /// further replies, so they are replaced by spaces.
    public func encoded() -> String {
        let textLines = lines.isEmpty ? [""] : lines
        var out = ""
        for (index, raw) in textLines.enumerated() {
            let isLast = index == textLines.count - 1
            out += String(code)
            out += isLast ? " " : "-"
            var text = ""
            if let enhanced {
                text = enhanced.description
                if !raw.isEmpty { text += " " }
            }
            text += Reply.sanitise(raw)
            out += text
            out += "\r\n"
        }
        return out
    }

    /// The wire form as bytes.
    public func encodedBytes() -> [UInt8] { Array(encoded().utf8) }

    /// The wire form without CRLFs, for logs.
    public var description: String {
        encoded().split(separator: "\r\n", omittingEmptySubsequences: true).joined(separator: " | ")
    }

    private static func sanitise(_ text: String) -> String {
        guard text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return String(text.map { ($0 == "\r" || $0 == "\n" || $0 == "\r\n") ? " " : $0 })
    }
}

/// An error that knows the SMTP reply it should produce.
///
/// Parser, policy, directory and spool errors conform so the session can answer with
/// a precise code instead of a generic 451.
public protocol ReplyConvertible: Error {
    /// The reply the client should see for this error.
    var reply: Reply { get }
}

extension Reply: ReplyConvertible {
    /// A reply is its own reply.
    public var reply: Reply { self }
}

extension Reply {
    /// The reply for a failure in session `sessionID`: the error's own when it has one (the
    /// directory, the spool and the policy say what went wrong), else
    /// ``localError(sessionID:)``. The caller logs the error with the session ID.
    public static func failure(_ error: any Error, sessionID: String) -> Reply {
        (error as? any ReplyConvertible)?.reply ?? .localError(sessionID: sessionID)
    }
}
