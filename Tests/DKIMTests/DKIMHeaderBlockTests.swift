import DKIM
import Testing

@Suite("Header block parsing (RFC 5322 §2.2)")
struct DKIMHeaderBlockTests {
    @Test("fields, folding and the end of the header")
    func parsesFields() throws {
        let message = TestMessages.simpleMessage
        let block = try DKIMHeaderBlock(parsing: message)
        #expect(block.fields.map(\.name) == [
            "Received", "From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "X-Mailer",
        ])
        #expect(TestMessages.string(block.fields[3].raw) == "Subject: Lunch on\r\n Friday?")
        // The body starts right after the empty line.
        #expect(TestMessages.string(Array(message[block.byteCount...])).hasPrefix("Hello Taro,\r\n"))
    }

    @Test("a header block alone, without the empty line")
    func headerOnly() throws {
        let block = try DKIMHeaderBlock(parsing: Array("From: a@alato.example\r\nTo: b@example.net\r\n".utf8))
        #expect(block.fields.count == 2)
        #expect(block.byteCount == 42)
    }

    @Test("bare LF line ends are read as CRLF")
    func bareLF() throws {
        let block = try DKIMHeaderBlock(parsing: Array("From: a\nSubject: x\n y\n\nbody\n".utf8))
        #expect(block.fields.map(\.name) == ["From", "Subject"])
        #expect(TestMessages.string(block.fields[1].raw) == "Subject: x\r\n y")
        #expect(block.byteCount == 23)
    }

    @Test("malformed header lines are errors, not crashes", arguments: [
        ("From: a\r\nno colon here\r\n", 2),
        (" leading continuation\r\nFrom: a\r\n", 1),
        (": empty name\r\n", 1),
        ("From: a\r\nBad Name: x\r\n", 2),
        ("From: a\r\nSubject: b\r\n\u{7F}Del: c\r\n", 3),
        ("From: a\r\nX-H\u{E9}ader: c\r\n", 2),
    ])
    func malformed(input: String, line: Int) {
        #expect(throws: DKIMError.malformedHeader(line: line)) {
            try DKIMHeaderBlock(parsing: Array(input.utf8))
        }
    }

    @Test("field name with white space before the colon (RFC 5322 §4.5)")
    func obsoleteColonSpacing() throws {
        let field = try #require(DKIMHeaderField(raw: Array("Subject \t: hi".utf8)))
        #expect(field.name == "Subject")
        #expect(TestMessages.string(Array(field.rawValue)) == " hi")
    }

    @Test("a huge header block parses in one pass")
    func hugeHeader() throws {
        var text = "From: a@alato.example\r\n"
        for index in 0..<20_000 {
            text += "X-Filler-\(index): \(String(repeating: "v", count: 40))\r\n\t continued\r\n"
        }
        let block = try DKIMHeaderBlock(parsing: Array(text.utf8))
        #expect(block.fields.count == 20_001)
    }
}
