import Testing
@testable import SMTPCore

/// The outcome of decoding a whole input: all content, and how it ended.
private struct Decoded: Equatable {
    var content: [UInt8] = []
    var terminal: DataEvent?
    var extraEvents = 0
}

private func decode(_ input: [UInt8], chunkSize: Int? = nil, maxSize: Int? = nil) -> Decoded {
    var decoder = DataDecoder(maxSize: maxSize)
    var result = Decoded()
    let size = chunkSize ?? max(input.count, 1)
    var start = 0
    repeat {
        let end = min(start + size, input.count)
        for event in decoder.feed(input[start..<end]) {
            switch event {
            case .content(let bytes):
                if result.terminal != nil { result.extraEvents += 1 }
                result.content += bytes
            case .end, .rejected:
                if result.terminal != nil { result.extraEvents += 1 }
                result.terminal = event
            }
        }
        start = end
        // Stop at the end like a driver: the rest is leftover, already reported.
    } while start < input.count && result.terminal == nil
    // Anything after the chunk that held the end belongs to the leftover of that chunk's
    // event; add it back so every chunking reports the same leftover.
    if let terminal = result.terminal, start < input.count {
        let tail = Array(input[start...])
        switch terminal {
        case .end(let leftover): result.terminal = .end(leftover: leftover + tail)
        case .rejected(let error, let leftover): result.terminal = .rejected(error, leftover: leftover + tail)
        case .content: break
        }
    }
    return result
}

@Suite struct DataDecoderTests {
    @Test(arguments: [
        ("Hello\r\n.\r\n", "Hello\r\n", ""),
        (".\r\n", "", ""),                                    // empty message: first line is "."
        ("\r\n.\r\n", "\r\n", ""),
        ("..\r\n.\r\n", ".\r\n", ""),                         // RFC 5321 §4.5.2 unstuffing
        ("..leading\r\n.\r\n", ".leading\r\n", ""),
        ("...\r\n.\r\n", "..\r\n", ""),
        (".x\r\n.\r\n", "x\r\n", ""),                          // a lone leading dot is removed too
        ("a\r\n..\r\n.\r\n", "a\r\n.\r\n", ""),
        ("a\r\n. \r\n.\r\n", "a\r\n \r\n", ""),
        ("a.\r\nb\r\n.\r\n", "a.\r\nb\r\n", ""),               // dots elsewhere are content
        ("a\r\n.\r\nQUIT\r\n", "a\r\n", "QUIT\r\n"),           // pipelined leftover
        ("a\r\n.\r\n.\r\n", "a\r\n", ".\r\n"),
        ("Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@b.example>\r\n",
         "Subject: x\r\n\r\nbody\r\n", "MAIL FROM:<>\r\nRCPT TO:<a@b.example>\r\n"),
    ])
    func endsAndUnstuffs(input: String, content: String, leftover: String) {
        for chunk in [nil, 1, 2, 3, 7] as [Int?] {
            let decoded = decode(bytes(input), chunkSize: chunk)
            #expect(decoded.content == bytes(content), "chunk size \(String(describing: chunk))")
            #expect(decoded.terminal == .end(leftover: bytes(leftover)), "chunk size \(String(describing: chunk))")
            #expect(decoded.extraEvents == 0)
        }
    }

    /// SMTP smuggling: none of these sequences may end the data. Only the final real
    /// CRLF.CRLF does, and the message is refused for its bare line ending.
    @Test(arguments: [
        ("a\n.\nMAIL FROM:<x@example.net>\r\n.\r\n", DataError.bareLF),
        ("a\r.\rMAIL FROM:<x@example.net>\r\n.\r\n", .bareCR),
        ("a\n.\r\nMAIL FROM:<x@example.net>\r\n.\r\n", .bareLF),
        ("a\r\n.\nMAIL FROM:<x@example.net>\r\n.\r\n", .bareLF),
        ("a\r\n.\rMAIL FROM:<x@example.net>\r\n.\r\n", .bareCR),
        ("a\r.\r\nMAIL FROM:<x@example.net>\r\n.\r\n", .bareCR),
        ("a\r\r\n.\r\n", .bareCR),
        ("a\nb\r\n.\r\n", .bareLF),
        ("\n.\r\n.\r\n", .bareLF),
        (".\n.\r\n.\r\n", .bareLF),
        ("a\r\n.\r\r\n.\r\n", .bareCR),
    ])
    func smugglingNeverEndsData(input: String, error: DataError) {
        for chunk in [nil, 1, 2, 5] as [Int?] {
            let decoded = decode(bytes(input), chunkSize: chunk)
            #expect(decoded.terminal == .rejected(error, leftover: []), "chunk size \(String(describing: chunk))")
            #expect(decoded.extraEvents == 0)
        }
    }

    /// A NUL anywhere in the content refuses the message at the real CRLF.CRLF, after which
    /// the session reads commands again (the leftover). "\r\n\0.\r\n" and "\r\n.\0\r\n"
    /// are not ends of data either.
    @Test(arguments: [
        ("a\r\n\0.\r\nMAIL FROM:<x@example.net>\r\n.\r\nNOOP\r\n", "NOOP\r\n"),
        ("a\r\n.\0\r\nMAIL FROM:<x@example.net>\r\n.\r\nNOOP\r\n", "NOOP\r\n"),
        ("\0\r\n.\r\n", ""),                                  // first octet of the data
        (".\0\r\n.\r\n", ""),                                 // after a leading dot
        ("Subject: x\r\n\r\nbody \0 text\r\n.\r\nQUIT\r\n", "QUIT\r\n"),   // mid-line: the fast path
        ("end\0\r\n.\r\n", ""),                               // just before CRLF
        ("a\r\n..\0\r\n.\r\n", ""),                         // after a stuffed dot
    ])
    func nulIsRefusedAtTheRealEnd(input: String, leftover: String) {
        for chunk in [nil, 1, 2, 3, 5] as [Int?] {
            let decoded = decode(bytes(input), chunkSize: chunk)
            #expect(decoded.terminal == .rejected(.nul, leftover: bytes(leftover)), "chunk size \(String(describing: chunk))")
            #expect(!decoded.content.contains(0), "chunk size \(String(describing: chunk))")
            #expect(decoded.extraEvents == 0)
        }
    }

    /// The whole-line fast path stops at a NUL: a long line fed in one chunk gives the same
    /// content (everything before the NUL) and the same error as one octet at a time.
    @Test func fastPathStopsAtNUL() {
        let line = String(repeating: "x", count: 500) + "\0" + String(repeating: "y", count: 400)
        let input = bytes("Subject: s\r\n\r\n\(line)\r\n.\r\nRSET\r\n")
        let whole = decode(input)
        #expect(whole.terminal == .rejected(.nul, leftover: bytes("RSET\r\n")))
        #expect(whole.content == bytes("Subject: s\r\n\r\n" + String(repeating: "x", count: 500)))
        #expect(decode(input, chunkSize: 1) == whole)
        #expect(decode(input, chunkSize: 64) == whole)
    }

    @Test func contentStopsAfterAnError() {
        let decoded = decode(bytes("ok\r\nbad\nmore text\r\n.\r\nNOOP\r\n"))
        #expect(decoded.content == bytes("ok\r\nbad"))
        #expect(decoded.terminal == .rejected(.bareLF, leftover: bytes("NOOP\r\n")))
    }

    @Test func firstErrorIsReported() {
        let line = String(repeating: "x", count: 1000)
        let decoded = decode(bytes("a\nb\r\n\(line)\r\n.\r\n"))
        #expect(decoded.terminal == .rejected(.bareLF, leftover: []))
    }

    @Test func lineLimitIs998OctetsPlusCRLF() {
        let fits = String(repeating: "x", count: 998)
        #expect(decode(bytes("\(fits)\r\n.\r\n")).terminal == .end(leftover: []))
        let over = String(repeating: "x", count: 999)
        #expect(decode(bytes("\(over)\r\n.\r\n")).terminal == .rejected(.lineTooLong, leftover: []))
        // RFC 5321 §4.5.3.1.6: the stuffed dot does not count.
        let stuffed = "." + String(repeating: ".", count: 998)
        let decoded = decode(bytes("\(stuffed)\r\n.\r\n"))
        #expect(decoded.terminal == .end(leftover: []))
        #expect(decoded.content.count == 1000)
    }

    @Test func sizeLimit() {
        let message = "12345678\r\n"                              // 10 octets
        #expect(decode(bytes(message + ".\r\n"), maxSize: 10).terminal == .end(leftover: []))
        let decoded = decode(bytes(message + "x\r\n.\r\nQUIT\r\n"), maxSize: 10)
        #expect(decoded.terminal == .rejected(.tooBig, leftover: bytes("QUIT\r\n")))
        #expect(decoded.content == bytes(message))                 // nothing past the limit
    }

    @Test func byteCountCountsUnstuffedContent() {
        var decoder = DataDecoder()
        _ = decoder.feed(bytes("..ab\r\n.\r\n"))
        #expect(decoder.byteCount == 5)
        #expect(decoder.isFinished)
    }

    @Test func errorsMapToReplies() {
        #expect(DataError.bareLF.reply == .bareLineFeed)
        #expect(DataError.bareCR.reply == .bareLineFeed)
        #expect(DataError.lineTooLong.reply == .messageLineTooLong)
        #expect(DataError.tooBig.reply == .messageTooBig)
        #expect(DataError.nul.reply == .nulInMessage)
        #expect(Reply.nulInMessage.code == 554 && Reply.nulInMessage.enhanced == .init(5, 6, 0))
    }

    @Test func onlyNULIsForbidden() {
        #expect(DataError.isForbidden(0))
        #expect((1...255).allSatisfy { !DataError.isForbidden(UInt8($0)) })
        #expect(DataError.forbiddenContent(in: bytes("a\0b")) == .nul)
        #expect(DataError.forbiddenContent(in: bytes("8bit \u{e9}\u{1}\r\n")) == nil)
    }

    @Test func feedingAfterEndHandsBytesBack() {
        var decoder = DataDecoder()
        #expect(decoder.feed(bytes(".\r\n")) == [.end(leftover: [])])
        #expect(decoder.feed(bytes("NOOP\r\n")) == [.end(leftover: bytes("NOOP\r\n"))])
    }

    /// Every split of a tricky input gives the same result as one chunk.
    @Test func everySplitPointAgrees() {
        let inputs = [
            "a\r\n..b\r\n.\r\nNOOP\r\n",
            "x\r\n.\n.\r\n\r\n.\r\nQUIT\r\n",
            ".\r\n",
            "\r\n..\r\n.\r.\r\n.\r\nRSET\r\n",
            "a\r\n\0.\r\n..x\0y\r\n.\r\nQUIT\r\n",
            "x\r\n.\0\r\nlong line with a \0 in it\r\n.\r\nRSET\r\n",
        ]
        for input in inputs.map(bytes) {
            let whole = decode(input)
            for split in 0...input.count {
                var decoder = DataDecoder()
                var content: [UInt8] = []
                var terminal: DataEvent?
                for part in [input[..<split], input[split...]] where terminal == nil {
                    for event in decoder.feed(part) {
                        if case .content(let bytes) = event { content += bytes } else { terminal = event }
                    }
                }
                var expectedTerminal = whole.terminal
                // When the end is in the first part, the second part was never fed.
                if case .end(let leftover)? = whole.terminal, split >= input.count - leftover.count {
                    expectedTerminal = .end(leftover: Array(input[(input.count - leftover.count)..<split]))
                }
                if case .rejected(let error, let leftover)? = whole.terminal, split >= input.count - leftover.count {
                    expectedTerminal = .rejected(error, leftover: Array(input[(input.count - leftover.count)..<split]))
                }
                #expect(content == whole.content, "split \(split)")
                #expect(terminal == expectedTerminal, "split \(split)")
            }
        }
    }

    /// Megabytes of input without an end: events never carry more than the chunk fed,
    /// and after the line-length error nothing is emitted at all.
    @Test func hugeInputStaysBounded() {
        var decoder = DataDecoder()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        var emitted = 0
        for _ in 0..<64 {  // 4 MiB on one line
            for event in decoder.feed(chunk) {
                guard case .content(let bytes) = event else {
                    Issue.record("unexpected \(event)")
                    return
                }
                #expect(bytes.count <= chunk.count)
                emitted += bytes.count
            }
        }
        #expect(emitted == SMTPLimits.textLine)
        #expect(decoder.error == .lineTooLong)
        #expect(decoder.feed(bytes("\r\n.\r\n")) == [.rejected(.lineTooLong, leftover: [])])
    }

    @Test func manyShortLinesStreamThrough() {
        var decoder = DataDecoder(maxSize: 10_000_000)
        let line = bytes(String(repeating: "b", count: 78) + "\r\n")
        let chunk = Array(repeating: line, count: 800).flatMap { $0 }   // 64000 octets
        var total = 0
        for _ in 0..<50 {
            for event in decoder.feed(chunk) {
                if case .content(let bytes) = event { total += bytes.count }
            }
        }
        #expect(decoder.feed(bytes(".\r\n")) == [.end(leftover: [])])
        #expect(total == 50 * chunk.count)
        #expect(decoder.byteCount == total)
    }
}
