import NIOCore

/// What a submission session sends, one case per step of the dialogue.
public enum Command: Equatable, Sendable {
    case ehlo(String)
    case startTLS
    /// RFC 4954 with the PLAIN mechanism (RFC 4616) and an initial response: no 334 round trip.
    case authPlain(user: String, password: String)
    case mail(String)
    case rcpt(String)
    case data
    /// MAIL, RCPT and DATA in one write, for servers that offer PIPELINING (RFC 2920 §3.1:
    /// DATA may end a group, so the three replies are read afterwards).
    case envelope(sender: String, recipient: String)
    case quit
}

extension Command {
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .ehlo(let domain):
            buffer.writeString("EHLO \(domain)\r\n")
        case .startTLS:
            buffer.writeString("STARTTLS\r\n")
        case .authPlain(let user, let password):
            // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd; no authzid here.
            let message = [0] + Array(user.utf8) + [0] + Array(password.utf8)
            buffer.writeString("AUTH PLAIN \(Base64.encode(message))\r\n")
        case .mail(let sender):
            buffer.writeString("MAIL FROM:<\(sender)>\r\n")
        case .rcpt(let recipient):
            buffer.writeString("RCPT TO:<\(recipient)>\r\n")
        case .data:
            buffer.writeString("DATA\r\n")
        case .envelope(let sender, let recipient):
            Command.mail(sender).write(into: &buffer)
            Command.rcpt(recipient).write(into: &buffer)
            Command.data.write(into: &buffer)
        case .quit:
            buffer.writeString("QUIT\r\n")
        }
    }

    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }
}

/// RFC 4648 §4 base64 with padding: all AUTH PLAIN needs, without pulling in Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var value = 0
            for (offset, byte) in chunk.enumerated() { value |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 0x3F] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
