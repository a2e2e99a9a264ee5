/// A POP3 response: a status indicator, an optional response code, text, and for the
/// multi-line responses (CAPA, LIST, UIDL) the lines that follow.
///
/// ```
/// S: +OK 2 messages (320 octets)
/// S: 1 120
/// S: 2 200
/// S: .
/// ```
/// As `Reply` is for SMTP, a `-ERR` response is also the error type of the protocol core: the
/// parser's refusals are the responses the client sees. Named responses live in
/// `POP3Response+Catalogue.swift`. The contents of RETR and TOP are
/// not responses: they are streamed by ``MessageEncoder`` after the `+OK` line.
public struct POP3Response: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status indicator (RFC 1939 §3; `+` is the SASL continuation of RFC 5034 §4).
    public enum Status: Sendable, Hashable {
        case ok
        case error
        case continuation
    }

    public var status: Status
    /// The extended response code (`-ERR` only).
    public var code: POP3ResponseCode?
    /// The text after the indicator (and code).
    public var text: String
    /// The lines of a multi-line response, without the terminating `.`; nil for a one-line one.
    public var lines: [String]?

    public init(_ status: Status, code: POP3ResponseCode? = nil, _ text: String, lines: [String]? = nil) {
        self.status = status
        self.code = code
        self.text = text
        self.lines = lines
    }

    /// True for `-ERR`.
    public var isError: Bool { status == .error }

    /// The first line as written, without CRLF.
    public var firstLine: String {
        switch status {
        case .ok: return text.isEmpty ? "+OK" : "+OK \(text)"
        case .continuation: return "+ \(text)"
        case .error:
            let prefix = code.map { "-ERR \($0)" } ?? "-ERR"
            return text.isEmpty ? prefix : "\(prefix) \(text)"
        }
    }

    /// The response on the wire: CRLF after every line, a multi-line body dot-stuffed and
    /// ended by `.` (RFC 1939 §3). CR and LF inside text would let it forge further responses,
    /// so they become spaces.
    public func encodedBytes() -> [UInt8] {
        var out: [UInt8] = []
        Self.appendLine(firstLine, to: &out)
        if let lines {
            for line in lines {
                if line.utf8.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                Self.appendLine(line, to: &out)
            }
            out += [UInt8(ascii: "."), 0x0D, 0x0A]
        }
        return out
    }

    public var description: String { firstLine }

    private static func appendLine(_ line: String, to out: inout [UInt8]) {
        for byte in line.utf8 {
            out.append(byte == 0x0D || byte == 0x0A ? 0x20 : byte)
        }
        out += [0x0D, 0x0A]
    }
}
