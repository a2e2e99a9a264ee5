import NIOCore

/// Incremental parser of server replies (RFC 5321 §4.2): `xyz-text` continuation lines, then
/// `xyz text` or a bare `xyz`. Replies may arrive split across reads, and several may arrive in
/// one read (pipelined MAIL, RCPT and DATA, RFC 2920); `next(from:)` consumes complete lines only
/// and keeps the lines of an unfinished multi-line reply between calls.
public struct ReplyParser: Sendable {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// Not `xyz`, `xyz-…` or `xyz …` with a code from 100 to 599.
        case malformed(String)
        /// A continuation line whose code differs from the first line's (§4.2.1 requires the same).
        case inconsistentCode(String)
        /// More than `maximumReplyBytes` without the reply ending.
        case tooLong(Int)

        public var description: String {
            switch self {
            case .malformed(let line): "malformed reply line \(line.debugDescription)"
            case .inconsistentCode(let line): "reply line with another code: \(line.debugDescription)"
            case .tooLong(let bytes): "reply longer than \(bytes) octets"
            }
        }
    }

    /// Servers send short replies (§4.5.3.1.5: 512 octets a line); a long EHLO reply is a few
    /// hundred octets. Anything far beyond is a broken peer, not a reply to wait for.
    public let maximumReplyBytes: Int
    private var lines: [String] = []
    private var code = 0
    private var bytesSoFar = 0

    public init(maximumReplyBytes: Int = 64 * 1024) {
        self.maximumReplyBytes = maximumReplyBytes
    }

    /// The next complete reply, or nil when `buffer` holds only part of one (read more, call again).
    public mutating func next(from buffer: inout ByteBuffer) throws(ParseError) -> Reply? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if bytesSoFar + view.count > maximumReplyBytes { throw .tooLong(maximumReplyBytes) }
                return nil
            }
            let length = newline - view.startIndex + 1
            bytesSoFar += length
            if bytesSoFar > maximumReplyBytes { throw .tooLong(maximumReplyBytes) }
            var lineBytes = view[view.startIndex..<newline]
            if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
            let line = String(decoding: lineBytes, as: UTF8.self)
            buffer.moveReaderIndex(forwardBy: length)

            guard let (lineCode, last) = Self.parse(lineBytes) else { throw .malformed(line) }
            if lines.isEmpty {
                code = lineCode
            } else if lineCode != code {
                throw .inconsistentCode(line)
            }
            lines.append(line)
            if last {
                let reply = Reply(code: code, lines: lines)
                lines = []
                bytesSoFar = 0
                return reply
            }
        }
    }

    /// Forgets a partly received reply and returns to the start of the grammar. After STARTTLS
    /// (RFC 3207 §4.2) nothing received in clear text may be carried into the TLS session.
    public mutating func reset() {
        lines = []
        code = 0
        bytesSoFar = 0
    }

    /// `Reply-code [ SP textstring ] CRLF` ends a reply; `Reply-code "-" [ textstring ] CRLF`
    /// continues it (§4.2). Returns the code and whether this line is the last.
    private static func parse(_ line: ByteBufferView.SubSequence) -> (Int, Bool)? {
        guard line.count >= 3 else { return nil }
        var code = 0
        var index = line.startIndex
        for position in 0..<3 {
            let byte = line[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            // §4.2: the first digit is 2 to 5 in replies a server sends; 1yz is defined but unused.
            if position == 0, byte < UInt8(ascii: "1") || byte > UInt8(ascii: "5") { return nil }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
            index = line.index(after: index)
        }
        if index == line.endIndex { return (code, true) }
        switch line[index] {
        case UInt8(ascii: " "): return (code, true)
        case UInt8(ascii: "-"): return (code, false)
        default: return nil
        }
    }
}
