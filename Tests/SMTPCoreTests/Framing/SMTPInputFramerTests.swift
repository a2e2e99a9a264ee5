import Testing
@testable import SMTPCore

/// Plays the driver: `DATA` starts DATA content, `BDAT n [LAST]` a chunk, `BDAT-REFUSED n`
/// a discarded chunk. Consecutive content events are joined, so every chunking compares equal.
private func frame(_ input: [UInt8], chunkSize: Int? = nil, maxSize: Int? = nil) -> [SMTPInputFramer.Event] {
    var framer = SMTPInputFramer(maxLineLength: 64)
    var events: [SMTPInputFramer.Event] = []
    let size = chunkSize ?? max(input.count, 1)
    var start = 0
    repeat {
        let end = min(start + size, input.count)
        framer.append(input[start..<end])
        while let event = framer.next() {
            if case .content(let more) = event, case .content(let earlier)? = events.last {
                events[events.count - 1] = .content(earlier + more)
                continue
            }
            events.append(event)
            guard case .line(let line) = event else { continue }
            let words = String(decoding: line, as: UTF8.self).split(separator: " ")
            switch words.first {
            case "DATA": framer.receiveData(maxSize: maxSize)
            case "BDAT": framer.receiveChunk(size: Int(words[1])!, last: words.count > 2)
            case "BDAT-REFUSED": framer.discardChunk(size: Int(words[1])!)
            default: break
            }
        }
        start = end
    } while start < input.count
    return events
}

private func line(_ text: String) -> SMTPInputFramer.Event { .line(bytes(text)) }
private func content(_ text: String) -> SMTPInputFramer.Event { .content(bytes(text)) }

@Suite struct SMTPInputFramerTests {
    @Test(arguments: [
        ("DATA\r\nHello\r\n.\r\nQUIT\r\n",
         [line("DATA"), content("Hello\r\n"), .dataEnded(size: 7, error: nil), line("QUIT")]),
        ("DATA\r\n.\r\n", [line("DATA"), .dataEnded(size: 0, error: nil)]),
        ("DATA\r\n..x\r\n.\r\nNOOP\r\n",                                  // unstuffed, RFC 5321 §4.5.2
         [line("DATA"), content(".x\r\n"), .dataEnded(size: 4, error: nil), line("NOOP")]),
        ("DATA\r\na\nb\r\n.\r\nRSET\r\n",                                 // bare LF: refused at the real end
         [line("DATA"), content("a"), .dataEnded(size: 4, error: .bareLF), line("RSET")]),
        ("DATA\r\nx\n.\nMAIL FROM:<a@b>\r\n.\r\n",                        // smuggling never ends DATA
         [line("DATA"), content("x"), .dataEnded(size: 19, error: .bareLF)]),
        ("DATA\r\n0123456789\r\n.\r\nQUIT\r\n",                             // over maxSize
         [line("DATA"), content("0123456789"), .dataEnded(size: 12, error: .tooBig), line("QUIT")]),
        ("BDAT 5 LAST\r\nab\r\ncQUIT\r\n",                                // raw octets, no unstuffing
         [line("BDAT 5 LAST"), content("ab\r\nc"), .chunkEnded(last: true, forbidden: nil), line("QUIT")]),
        ("BDAT 0 LAST\r\nQUIT\r\n",
         [line("BDAT 0 LAST"), .chunkEnded(last: true, forbidden: nil), line("QUIT")]),
        ("BDAT 3\r\n.\r\nBDAT 2 LAST\r\n..NOOP\r\n",
         [line("BDAT 3"), content(".\r\n"), .chunkEnded(last: false, forbidden: nil),
          line("BDAT 2 LAST"), content(".."), .chunkEnded(last: true, forbidden: nil), line("NOOP")]),
        // NUL: nothing is handed on from the piece that holds it, nor after it (what came in
        // earlier pieces depends on the packets; the message is refused at LAST either way).
        ("BDAT 6 LAST\r\n\0abcdeRSET\r\n",
         [line("BDAT 6 LAST"), .chunkEnded(last: true, forbidden: .nul), line("RSET")]),
        ("BDAT-REFUSED 11\r\nMAIL FROM\r\nNOOP\r\n",                       // a refused chunk's octets are never commands
         [line("BDAT-REFUSED 11"), line("NOOP")]),
        ("DATA\r\nx\r\n.\r\n" + String(repeating: "y", count: 70) + "\r\nNOOP\r\n",
         [line("DATA"), content("x\r\n"), .dataEnded(size: 3, error: nil), .lineTooLong, line("NOOP")]),
    ] as [(String, [SMTPInputFramer.Event])])
    func frames(input: String, expected: [SMTPInputFramer.Event]) {
        for chunk in [nil, 1, 2, 3, 7] as [Int?] {
            #expect(frame(bytes(input), chunkSize: chunk, maxSize: 10) == expected, "chunk size \(String(describing: chunk))")
        }
    }

    /// Content arrives exactly as it would in one piece, whatever the packet size.
    @Test func everyPacketSizeAgrees() {
        let inputs = [
            "EHLO a\r\nDATA\r\nSubject: s\r\n\r\n..b\r\n.\r\nQUIT\r\n",
            "BDAT 4\r\nab\r\nBDAT 3 LAST\r\n\0cdNOOP\r\n",
            "DATA\r\na\r\n.\r\r\n.\r\nBDAT-REFUSED 2\r\nxyRSET\r\n",
        ]
        for input in inputs.map(bytes) {
            let whole = frame(input)
            for size in 1...input.count {
                #expect(frame(input, chunkSize: size) == whole, "packet size \(size)")
            }
        }
    }

    /// What follows a line is known, for the pipelining check before DATA (RFC 2920 §3.1).
    @Test func bufferedCountAfterALine() {
        var framer = SMTPInputFramer(maxLineLength: 64)
        framer.append(bytes("DATA\r\nSubject: early\r\n"))
        #expect(framer.next() == line("DATA"))
        #expect(framer.bufferedCount == 16)
        #expect(framer.isAtCommandLine)
    }

    @Test func phasesAreVisibleToTheDriver() {
        var framer = SMTPInputFramer(maxLineLength: 64)
        framer.append(bytes("DATA\r\nx\r\n.\r\n"))
        #expect(framer.next() == line("DATA"))
        framer.receiveData(maxSize: nil)
        #expect(framer.isReceivingData)
        #expect(!framer.isAtCommandLine)
        #expect(framer.next() == content("x\r\n"))
        #expect(!framer.isAtCommandLine)                     // the end is still to be reported
        #expect(framer.next() == .dataEnded(size: 3, error: nil))
        #expect(framer.isAtCommandLine)
        #expect(!framer.isReceivingData)
        #expect(framer.next() == nil)
    }

    /// RFC 3207 §4.2: commands pipelined after STARTTLS are dropped before the handshake.
    @Test func discardBufferedDropsPipelinedCommands() {
        var framer = SMTPInputFramer(maxLineLength: 64)
        framer.append(bytes("STARTTLS\r\nMAIL FROM:<a@b>\r\n"))
        #expect(framer.next() == line("STARTTLS"))
        framer.discardBuffered()
        #expect(framer.next() == nil)
        framer.append(bytes("EHLO a\r\n"))
        #expect(framer.next() == line("EHLO a"))
    }

    /// A 10 MB DATA body streams through: no event is larger than what was fed.
    @Test func hugeDataStreamsThrough() {
        var framer = SMTPInputFramer(maxLineLength: 64)
        framer.append(bytes("DATA\r\n"))
        #expect(framer.next() == line("DATA"))
        framer.receiveData(maxSize: nil)
        let text = bytes(String(repeating: "b", count: 78) + "\r\n")
        let chunk = Array(repeating: text, count: 800).flatMap { $0 }
        var total = 0
        for _ in 0..<160 {
            framer.append(chunk)
            while let event = framer.next() {
                guard case .content(let bytes) = event else {
                    Issue.record("unexpected \(event)")
                    return
                }
                #expect(bytes.count <= chunk.count)
                total += bytes.count
            }
            #expect(framer.bufferedCount == 0)
        }
        framer.append(bytes(".\r\nQUIT\r\n"))
        #expect(framer.next() == .dataEnded(size: total, error: nil))
        #expect(framer.next() == line("QUIT"))
        #expect(total == 160 * chunk.count)
    }
}
