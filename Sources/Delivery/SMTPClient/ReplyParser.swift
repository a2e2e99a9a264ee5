import SMTPCore

/// Assembles server reply lines into a ``Reply`` (RFC 5321 §4.2).
///
/// ```
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///              Reply-code [ SP textstring ] CRLF
/// ```
/// Lines arrive without their CRLF. The enhanced status code (RFC 2034 §4) is taken from the
/// first line when every line carries it, and removed from the text. A server that sends
/// garbage gets an error, never a crash: delivery then treats the connection as failed.
public struct ReplyParser: Sendable {
    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; servers overshoot, so be generous
    /// but bounded.
    public static let maximumLineLength = 4096
    /// The most lines one reply may have (an EHLO reply lists a few dozen at most).
    public static let maximumLines = 200

    /// What feeding a line produced.
    public enum Outcome: Sendable, Equatable {
        /// A continuation line (`250-`): more lines follow.
        case incomplete
        /// The last line arrived: the whole reply.
        case complete(Reply)
    }

    /// Why a line could not be part of a reply.
    public enum ParseError: Error, Sendable, Equatable {
        /// Not `ddd`, `ddd text` or `ddd-text`.
        case malformedLine(String)
        /// A continuation line with another code than the first line.
        case inconsistentCode(first: Int, line: Int)
        /// A line longer than ``maximumLineLength``.
        case lineTooLong
        /// More than ``maximumLines`` lines.
        case tooManyLines
    }

    private var code: Int?
    private var lines: [String] = []

    /// Creates a parser waiting for the first line of a reply.
    public init() {}

    /// Feeds one line without CRLF.
    public mutating func feed(_ line: some Collection<UInt8>) throws(ParseError) -> Outcome {
        guard line.count <= Self.maximumLineLength else { throw .lineTooLong }
        let bytes = Array(line)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              (0x32...0x35).contains(bytes[0]) else {
            throw .malformedLine(String(decoding: bytes.prefix(80), as: UTF8.self))
        }
        let lineCode = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
        var isLast = true
        var text: ArraySlice<UInt8> = []
        if bytes.count > 3 {
            switch bytes[3] {
            case UInt8(ascii: "-"): isLast = false
            case UInt8(ascii: " "): break
            default: throw .malformedLine(String(decoding: bytes.prefix(80), as: UTF8.self))
            }
            text = bytes[4...]
        }
        if let code, code != lineCode { throw .inconsistentCode(first: code, line: lineCode) }
        code = lineCode
        lines.append(String(decoding: text, as: UTF8.self))
        guard lines.count <= Self.maximumLines else { throw .tooManyLines }
        guard isLast else { return .incomplete }
        let reply = Reply(code: lineCode, enhancedPrefixedLines: lines)
        code = nil
        lines = []
        return .complete(reply)
    }
}
