import Testing
@testable import SMTPCore

/// Feeds `input` in pieces of `chunkSize` (one piece when nil), pulling every event after each.
private func frame(_ input: [UInt8], chunkSize: Int? = nil, limit: Int = 16) -> [LineFramer.Event] {
    var framer = LineFramer(maxLineLength: limit)
    var events: [LineFramer.Event] = []
    let size = chunkSize ?? max(input.count, 1)
    var start = 0
    repeat {
        let end = min(start + size, input.count)
        framer.append(input[start..<end])
        while let event = framer.nextLine() { events.append(event) }
        start = end
    } while start < input.count
    return events
}

private func line(_ text: String) -> LineFramer.Event { .line(bytes(text)) }

@Suite struct LineFramerTests {
    @Test(arguments: [
        ("NOOP\r\n", [line("NOOP")]),
        ("\r\n", [line("")]),
        ("NOOP\r\nQUIT\r\n", [line("NOOP"), line("QUIT")]),
        ("NOOP", []),                                                    // incomplete
        ("NOOP\r", []),                                                  // CR may still get its LF
        ("NOOP\n", [.bareLineEnding]),                                   // RFC 5321 §2.3.8
        ("\nNOOP\r\n", [.bareLineEnding, line("NOOP")]),
        ("NO\rOP\r\nQUIT\r\n", [.bareLineEnding, line("QUIT")]),         // the whole line is refused
        ("NOOP\r\r\nQUIT\r\n", [.bareLineEnding, line("QUIT")]),
        ("NOOP\rQUIT", [.bareLineEnding]),                               // skipped up to an LF to come
        ("MAIL FROM:<a>\nRCPT\r\n", [.bareLineEnding, line("RCPT")]),
        ("0123456789abcd\r\n", [line("0123456789abcd")]),                // 16 octets with CRLF: fits
        ("0123456789abcde\r\nNOOP\r\n", [.tooLong, line("NOOP")]),       // 17: refused, in sync after
        ("0123456789abcdefghij", [.tooLong]),                            // no LF yet: refused at octet 17
        ("0123456789abcdefghij\r\nNOOP\r\n", [.tooLong, line("NOOP")]),
        ("0123456789abcdef\nNOOP\r\n", [.tooLong, line("NOOP")]),        // too long wins over the bare LF after it
        ("01\r3456789abcdefghij\r\nNOOP\r\n", [.bareLineEnding, line("NOOP")]),  // the bare CR comes first
        ("0123456789abcd\rX\r\nNOOP\r\n", [.bareLineEnding, line("NOOP")]),
        ("0123456789abcde\rX\r\nNOOP\r\n", [.tooLong, line("NOOP")]),    // octet 17 is the limit; the bare CR shows there too
        ("NOOP\r\n\0\r\n", [line("NOOP"), .line([0])]),                  // octets are the parser's business
    ] as [(String, [LineFramer.Event])])
    func frames(input: String, expected: [LineFramer.Event]) {
        for chunk in [nil, 1, 2, 3, 5] as [Int?] {
            #expect(frame(bytes(input), chunkSize: chunk) == expected, "chunk size \(String(describing: chunk))")
        }
    }

    /// Every way of cutting the input into two packets gives the events of one packet.
    @Test func everySplitPointAgrees() {
        let inputs = [
            "EHLO a\r\nMAIL FROM:<x@y>\r\n",
            "A\rB\r\nC\nD\r\n\r\nE\r\r\nF\r\n",
            "0123456789abcdefghijklmnop\r\n0123456789abcd\r\nX\r\n",
            "0123456789abcde\r\r\nOK\r\n",
            "\r\r\r\n\n\n\r\n",
        ]
        for input in inputs.map(bytes) {
            let whole = frame(input)
            for split in 0...input.count {
                var framer = LineFramer(maxLineLength: 16)
                var events: [LineFramer.Event] = []
                for part in [input[..<split], input[split...]] {
                    framer.append(part)
                    while let event = framer.nextLine() { events.append(event) }
                }
                #expect(events == whole, "split \(split) of \(input)")
            }
        }
    }

    /// POP3 (RFC 1939 §3): command lines up to 255 octets with CRLF.
    @Test func pop3LineLimit() {
        let fits = String(repeating: "x", count: 253)
        #expect(frame(bytes("USER \(fits.dropFirst(5))\r\n"), limit: 255) == [line("USER \(fits.dropFirst(5))")])
        #expect(frame(bytes("\(fits)x\r\nSTAT\r\n"), limit: 255) == [.tooLong, line("STAT")])
    }

    /// The limit may change between lines (an AUTH exchange allows longer ones).
    @Test func limitAppliesPerLine() {
        var framer = LineFramer(maxLineLength: 8)
        framer.append(bytes("0123456789\r\n0123456789\r\n"))
        #expect(framer.nextLine() == .tooLong)
        framer.maxLineLength = 64
        #expect(framer.nextLine() == line("0123456789"))
    }

    /// Megabytes without an LF: one refusal, nothing kept, and the next line is read in sync.
    @Test func hugeInputStaysBounded() {
        var framer = LineFramer(maxLineLength: 2048)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        var events: [LineFramer.Event] = []
        for _ in 0..<160 {  // 10 MiB on one line
            framer.append(chunk)
            while let event = framer.nextLine() { events.append(event) }
            #expect(framer.bufferedCount <= chunk.count)
        }
        framer.append(bytes("aaa\r\nQUIT\r\n"))
        while let event = framer.nextLine() { events.append(event) }
        #expect(events == [.tooLong, line("QUIT")])
        #expect(framer.bufferedCount == 0)
    }

    @Test func manyPipelinedLines() {
        var input: [UInt8] = []
        for index in 0..<20_000 { input += bytes("RCPT TO:<u\(index)@example.org>\r\n") }
        var framer = LineFramer(maxLineLength: 512)
        framer.append(input)
        var count = 0
        while case .line = framer.nextLine() { count += 1 }
        #expect(count == 20_000)
        #expect(framer.bufferedCount == 0)
    }

    @Test func discardBufferedDropsASkippedLineToo() {
        var framer = LineFramer(maxLineLength: 8)
        framer.append(bytes("0123456789"))
        #expect(framer.nextLine() == .tooLong)
        framer.discardBuffered()
        framer.append(bytes("NOOP\r\n"))
        #expect(framer.nextLine() == line("NOOP"))
    }

    @Test func rawContentIsReadThroughBufferedAndConsume() {
        var framer = LineFramer(maxLineLength: 64)
        framer.append(bytes("BDAT 3\r\nabcNOOP\r\n"))
        #expect(framer.nextLine() == line("BDAT 3"))
        #expect(Array(framer.buffered.prefix(3)) == bytes("abc"))
        framer.consume(3)
        #expect(framer.nextLine() == line("NOOP"))
    }
}
