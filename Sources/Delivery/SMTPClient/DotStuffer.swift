/// Turns message bytes into the DATA wire form (RFC 5321 §4.5.2), chunk by chunk.
///
/// - a line starting with "." gets a second "." (transparency, RFC 5321 §4.5.2);
/// - a bare LF becomes CRLF and a bare CR is followed by LF, so no bare line ending ever
///   reaches the server (RFC 5321 §2.3.8; bare LFs are how SMTP smuggling starts);
/// - ``finish()`` ends the last line if needed and appends the `.` terminator.
///
/// State carries across chunks, so a line split between two reads is handled.
public struct DotStuffer: Sendable {
    private var atLineStart = true
    private var pendingCR = false

    /// Creates a stuffer at the start of the message.
    public init() {}

    /// Transforms one chunk of message bytes.
    public mutating func stuff(_ chunk: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(chunk)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 64 + 2)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if pendingCR {
                pendingCR = false
                out.append(0x0A)
                atLineStart = true
                if byte == 0x0A {
                    index += 1
                    continue
                }
            }
            switch byte {
            case 0x0D:
                out.append(0x0D)
                pendingCR = true
                index += 1
            case 0x0A:
                out.append(0x0D)
                out.append(0x0A)
                atLineStart = true
                index += 1
            default:
                if atLineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                // The rest of the line, up to the next CR or LF, unchanged and in one append.
                let end = bytes[index...].firstIndex { $0 == 0x0D || $0 == 0x0A } ?? bytes.count
                out.append(contentsOf: bytes[index..<end])
                atLineStart = false
                index = end
            }
        }
        return out
    }

    /// The bytes that close the message: a pending CRLF, if any, and `.` CRLF.
    public mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        if pendingCR {
            out.append(0x0A)
            pendingCR = false
            atLineStart = true
        }
        if !atLineStart { out += [0x0D, 0x0A] }
        out += Array(".\r\n".utf8)
        atLineStart = true
        return out
    }
}
