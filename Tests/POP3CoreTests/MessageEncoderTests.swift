import MaildirStore
import NIOCore
import POP3Core
import Testing

@Suite("RETR and TOP encoding")
struct MessageEncoderTests {
    private func encode(_ stored: String, lines: Int? = nil, step: Int = .max) -> String {
        let bytes = Array(stored.utf8)
        var encoder = MessageEncoder(bodyLines: lines)
        var out = ByteBuffer()
        var offset = 0
        while offset < bytes.count {
            let end = offset + min(step, bytes.count - offset)
            bytes[offset..<end].withUnsafeBytes { encoder.encode($0, into: &out) }
            offset = end
        }
        encoder.finish(into: &out)
        return String(buffer: out)
    }

    @Test("LF becomes CRLF, CRLF stays, dots are stuffed, the response ends with a dot line", arguments: [1, 2, 5, 1000])
    func retr(step: Int) {
        #expect(encode("Subject: a\n\n.hidden\n..two\nend\n", step: step)
                == "Subject: a\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n")
        #expect(encode("a\r\nb\r\n", step: step) == "a\r\nb\r\n.\r\n")
        #expect(encode(".\n", step: step) == "..\r\n.\r\n")
        #expect(encode("no final newline", step: step) == "no final newline\r\n.\r\n")
        #expect(encode("lone\rCR\n", step: step) == "lone\rCR\r\n.\r\n")
        #expect(encode("", step: step) == ".\r\n")
    }

    @Test("TOP sends the header, the empty line and n body lines", arguments: [1, 3, 1000])
    func top(step: Int) {
        let message = "From: a\nSubject: b\n\none\n.two\nthree\n"
        #expect(encode(message, lines: 0, step: step) == "From: a\r\nSubject: b\r\n\r\n.\r\n")
        #expect(encode(message, lines: 2, step: step) == "From: a\r\nSubject: b\r\n\r\none\r\n..two\r\n.\r\n")
        #expect(encode(message, lines: 10, step: step) == "From: a\r\nSubject: b\r\n\r\none\r\n..two\r\nthree\r\n.\r\n")
        #expect(encode("From: a\r\n\r\nbody\r\n", lines: 0, step: step) == "From: a\r\n\r\n.\r\n")
        #expect(encode("Header: only\n", lines: 3, step: step) == "Header: only\r\n.\r\n")
    }

    @Test("The size Maildir records (W=) is what RETR sends before dot-stuffing", arguments: [
        "Subject: a\n\nbody\n", "a\r\nb\r\n", "x", "x\r", "\n\n\n", "mixed\r\nand\nlone\r cr\n", "", ".\n.\n",
    ])
    func wireSizeAgrees(stored: String) {
        var size = WireSize()
        size.count(Array(stored.utf8))
        let sent = encode(stored)
        // Undo dot-stuffing and drop the terminating line to get the message as the client keeps it.
        var lines = sent.components(separatedBy: "\r\n")
        lines.removeLast(2)
        let message = lines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.map { $0 + "\r\n" }.joined()
        #expect(size.wireOctets == message.utf8.count)
    }
}
