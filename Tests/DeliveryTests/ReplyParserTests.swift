import SMTPCore
import Testing
@testable import Delivery

@Suite("ReplyParser")
struct ReplyParserTests {
    private func parse(_ lines: [String]) throws -> Reply? {
        var parser = ReplyParser()
        for line in lines {
            if case .complete(let reply) = try parser.feed(Array(line.utf8)) { return reply }
        }
        return nil
    }

    @Test("Single and multi-line replies, enhanced code split off")
    func multiLine() throws {
        let reply = try #require(try parse(["250-mx.example.net", "250-PIPELINING", "250 8BITMIME"]))
        #expect(reply.code == 250)
        #expect(reply.enhanced == nil)
        #expect(reply.lines == ["mx.example.net", "PIPELINING", "8BITMIME"])
        let enhanced = try #require(try parse(["550-5.1.1 no such", "550 5.1.1 user"]))
        #expect(enhanced.enhanced == EnhancedStatusCode(5, 1, 1))
        #expect(enhanced.lines == ["no such", "user"])
        let bare = try #require(try parse(["354"]))
        #expect(bare.code == 354 && bare.lines == [""])
    }

    @Test("An enhanced code of another class than the reply stays text")
    func classMismatch() throws {
        let reply = try #require(try parse(["250 5.1.1 odd"]))
        #expect(reply.enhanced == nil)
        #expect(reply.lines == ["5.1.1 odd"])
    }

    @Test("Garbage is an error, never a crash", arguments: ["", "25", "abc def", "250x", "650 no", "2500 x", "150 x"])
    func malformed(line: String) {
        var parser = ReplyParser()
        #expect(throws: ReplyParser.ParseError.self) { try parser.feed(Array(line.utf8)) }
    }

    @Test("A continuation with another code is refused")
    func inconsistent() {
        var parser = ReplyParser()
        #expect(throws: ReplyParser.ParseError.inconsistentCode(first: 250, line: 251)) {
            _ = try parser.feed(Array("250-a".utf8))
            _ = try parser.feed(Array("251 b".utf8))
        }
    }

    @Test("Huge lines and endless continuations are bounded")
    func limits() {
        var parser = ReplyParser()
        #expect(throws: ReplyParser.ParseError.lineTooLong) {
            try parser.feed(Array(("250 " + String(repeating: "x", count: 10_000)).utf8))
        }
        var endless = ReplyParser()
        #expect(throws: ReplyParser.ParseError.tooManyLines) {
            for _ in 0...ReplyParser.maximumLines { _ = try endless.feed(Array("250-x".utf8)) }
        }
    }

    @Test("EHLO keywords become capabilities")
    func capabilities() throws {
        let reply = try #require(try parse(["250-mx.example.net", "250-PIPELINING", "250-SIZE 10240000",
                                            "250-starttls", "250-8BITMIME", "250-DSN", "250-SMTPUTF8",
                                            "250 ENHANCEDSTATUSCODES"]))
        let capabilities = ServerCapabilities(ehloReply: reply)
        #expect(capabilities == ServerCapabilities(pipelining: true, size: 10_240_000, startTLS: true, eightBitMIME: true,
                                                   smtpUTF8: true, dsn: true, enhancedStatusCodes: true))
        let plain = ServerCapabilities(ehloReply: Reply(code: 250, lines: ["mx", "SIZE"]))
        #expect(plain.size == 0 && !plain.pipelining && !plain.startTLS)
    }
}
