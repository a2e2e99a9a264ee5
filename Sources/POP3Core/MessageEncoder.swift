import NIOCore

/// Turns a stored message into the body of a RETR or TOP response, chunk by chunk, so a large
/// message is never held whole (RFC 1939 §3, §5, §7):
///
/// - every line ends with CRLF: a bare LF (how Maildir stores lines) becomes CRLF, a CRLF
///   already there stays as it is, a lone CR inside a line is passed on;
/// - a line starting with `.` gets another `.` in front (dot-stuffing);
/// - with a line limit (TOP), the header, the empty line after it and at most that many body
///   lines are sent;
/// - ``finish(into:)`` ends an unterminated last line with CRLF and writes the `.` line.
///
/// The size announced for a message is what this writes before dot-stuffing and before the
/// `.` line; `MaildirStore`'s `W=` size is counted by the same rule (the tests hold them equal).
public struct MessageEncoder: Sendable {
    private let bodyLineLimit: Int?
    private var atLineStart = true
    private var previousWasCR = false
    /// The current line holds something other than CR (the header ends at a line that does not).
    private var lineHasContent = false
    private var inBody = false
    private var bodyLinesSent = 0
    /// TOP's limit is reached: the rest of the input is ignored.
    public private(set) var isComplete = false

    /// - Parameter bodyLines: nil for RETR; TOP's line count otherwise.
    public init(bodyLines: Int? = nil) {
        self.bodyLineLimit = bodyLines
    }

    /// Encodes the next chunk of the stored message into `out`.
    public mutating func encode(_ chunk: ByteBuffer, into out: inout ByteBuffer) {
        chunk.withUnsafeReadableBytes { encode($0, into: &out) }
    }

    /// Encodes the next chunk of the stored message into `out`.
    public mutating func encode(_ chunk: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        guard !isComplete else { return }
        out.reserveCapacity(minimumWritableBytes: chunk.count + chunk.count / 16 + 16)
        var index = 0
        var spanStart = 0
        let count = chunk.count
        while index < count {
            let byte = chunk[index]
            if atLineStart {
                atLineStart = false
                if byte == UInt8(ascii: ".") {
                    // Dot-stuffing: flush the span so far, then the extra dot.
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: chunk[spanStart..<index]))
                    out.writeInteger(UInt8(ascii: "."))
                    spanStart = index
                }
            }
            if byte == 0x0A {
                if !previousWasCR {
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: chunk[spanStart..<index]))
                    out.writeInteger(UInt8(0x0D))
                    spanStart = index
                }
                previousWasCR = false
                if endLine() {
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: chunk[spanStart...index]))
                    isComplete = true
                    return
                }
                index += 1
                continue
            }
            previousWasCR = byte == 0x0D
            if byte != 0x0D { lineHasContent = true }
            index += 1
        }
        out.writeBytes(UnsafeRawBufferPointer(rebasing: chunk[spanStart..<count]))
    }

    /// Ends the response: CRLF after an unterminated last line, then `.` CRLF.
    public mutating func finish(into out: inout ByteBuffer) {
        if !atLineStart && !isComplete {
            if !previousWasCR { out.writeInteger(UInt8(0x0D)) }
            out.writeInteger(UInt8(0x0A))
        }
        out.writeBytes([UInt8(ascii: "."), 0x0D, 0x0A])
        isComplete = true
    }

    /// A line ended; true when TOP has sent all it should.
    private mutating func endLine() -> Bool {
        defer {
            atLineStart = true
            lineHasContent = false
        }
        guard let limit = bodyLineLimit else { return false }
        if inBody {
            bodyLinesSent += 1
            return bodyLinesSent >= limit
        }
        if !lineHasContent {
            // The empty line between header and body (RFC 5322 §2.1).
            inBody = true
            return limit == 0
        }
        return false
    }
}
