import LoadgenCore
import NIOCore
import Testing

@Suite struct ReplyParserTests {
    /// Parses everything in `input`, fed in pieces of `chunk` bytes, as replies arrive over TCP.
    private func replies(_ input: String, chunk: Int = .max) throws -> [Reply] {
        var parser = ReplyParser()
        var buffer = ByteBuffer()
        var out: [Reply] = []
        let bytes = Array(input.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(chunk, bytes.count))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let reply = try parser.next(from: &buffer) { out.append(reply) }
        }
        return out
    }

    @Test(arguments: [
        ("220 mail.alato.example ESMTP\r\n", Reply(code: 220, lines: ["220 mail.alato.example ESMTP"])),
        ("250\r\n", Reply(code: 250, lines: ["250"])),
        ("354 go ahead\n", Reply(code: 354, lines: ["354 go ahead"])),   // bare LF, as Python's readline takes it
        ("250-mail.alato.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
         Reply(code: 250, lines: ["250-mail.alato.example", "250-PIPELINING", "250 STARTTLS"])),
        ("550 5.1.1 <x@y>: unknown\r\n", Reply(code: 550, lines: ["550 5.1.1 <x@y>: unknown"])),
    ])
    func valid(input: String, expected: Reply) throws {
        #expect(try replies(input) == [expected])
        #expect(try replies(input, chunk: 1) == [expected])
    }

    @Test(arguments: ["", "25", "250-first\r\n", "250 no line end yet", "250-a\r\n250-b\r\n250 c"])
    func incomplete(input: String) throws {
        #expect(try replies(input).isEmpty)
    }

    @Test(arguments: ["25\r\n", "abc ok\r\n", "250x\r\n", "650 no such class\r\n", "\r\n", "099 zero\r\n"])
    func malformed(input: String) {
        #expect(throws: ReplyParser.ParseError.self) { try replies(input) }
    }

    @Test func continuationWithAnotherCodeIsInvalid() {
        #expect(throws: ReplyParser.ParseError.inconsistentCode("251 b")) { try replies("250-a\r\n251 b\r\n") }
    }

    @Test func pipelinedRepliesInOneRead() throws {
        let got = try replies("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(got.map(\.code) == [250, 250, 354])
        #expect(try replies("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n", chunk: 5).map(\.code) == [250, 250, 354])
    }

    @Test func endlessReplyIsRefused() {
        let line = "250-" + String(repeating: "x", count: 1000) + "\r\n"
        #expect(throws: ReplyParser.ParseError.tooLong(64 * 1024)) {
            try replies(String(repeating: line, count: 100), chunk: 4096)
        }
        #expect(throws: ReplyParser.ParseError.tooLong(64 * 1024)) {
            try replies("250 " + String(repeating: "x", count: 70_000))
        }
    }

    @Test func resetForgetsPartialReply() throws {
        var parser = ReplyParser()
        var buffer = ByteBuffer(string: "250-half\r\n")
        #expect(try parser.next(from: &buffer) == nil)
        parser.reset()
        buffer = ByteBuffer(string: "220 ready\r\n")
        #expect(try parser.next(from: &buffer) == Reply(code: 220, lines: ["220 ready"]))
    }

    @Test func ehloKeywords() {
        let reply = Reply(code: 250, lines: ["250-mail.example Hello", "250-PIPELINING", "250-SIZE 26214400",
                                             "250-auth PLAIN LOGIN", "250 8BITMIME"])
        #expect(reply.ehloKeywords == ["PIPELINING", "SIZE", "AUTH", "8BITMIME"])
    }
}
