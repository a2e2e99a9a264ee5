import Testing
@testable import Delivery

@Suite("DotStuffer")
struct DotStufferTests {
    private func wire(_ chunks: [String]) -> String {
        var stuffer = DotStuffer()
        var out: [UInt8] = []
        for chunk in chunks { out += stuffer.stuff(Array(chunk.utf8)) }
        out += stuffer.finish()
        return String(decoding: out, as: UTF8.self)
    }

    @Test("Leading dots are doubled and the terminator added", arguments: [
        (["a\r\n.b\r\n..c\r\n"], "a\r\n..b\r\n...c\r\n.\r\n"),
        ([".\r\n"], "..\r\n.\r\n"),
        (["no final newline"], "no final newline\r\n.\r\n"),
        ([""], ".\r\n"),
        (["x\r\n"], "x\r\n.\r\n"),
    ])
    func stuffing(input: [String], expected: String) {
        #expect(wire(input) == expected)
    }

    @Test("Bare LF and bare CR become CRLF (no smuggled line endings)")
    func bareLineEndings() {
        #expect(wire(["a\n.\nb\rc"]) == "a\r\n..\r\nb\r\nc\r\n.\r\n")
        #expect(wire(["a\r"]) == "a\r\n.\r\n")
    }

    @Test("State carries across chunk boundaries")
    func chunkBoundaries() {
        #expect(wire(["a\r", "\n.b", "\r\n", ".", "c\r\n"]) == "a\r\n..b\r\n..c\r\n.\r\n")
        // Byte by byte gives the same as all at once.
        let message = "Subject: x\r\n\r\n.line\r\n..two\n.\r\nend"
        #expect(wire(message.map { String($0) }) == wire([message]))
    }
}
