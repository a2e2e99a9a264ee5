import POP3Core
import SMTPCore
import Testing

@Suite("POP3 command parser")
struct POP3CommandParserTests {
    @Test("Valid commands", arguments: [
        ("USER taro@alato.example", POP3Command.user("taro@alato.example")),
        ("user taro@alato.example", .user("taro@alato.example")),
        ("PASS secret", .pass(Secret("secret"))),
        ("PASS with two  spaces ", .pass(Secret("with two  spaces "))),
        ("AUTH", .auth(mechanism: nil, initialResponse: nil)),
        ("AUTH plain", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH PLAIN AHRhcm8AcHc=", .auth(mechanism: "PLAIN", initialResponse: "AHRhcm8AcHc=")),
        ("AUTH PLAIN =", .auth(mechanism: "PLAIN", initialResponse: "=")),
        ("STAT", .stat),
        ("stat", .stat),
        ("LIST", .list(nil)),
        ("LIST 3", .list(3)),
        ("RETR 1", .retr(1)),
        ("DELE 12", .dele(12)),
        ("RSET", .rset),
        ("NOOP", .noop),
        ("QUIT", .quit),
        ("TOP 1 0", .top(1, lines: 0)),
        ("TOP 2 10", .top(2, lines: 10)),
        ("UIDL", .uidl(nil)),
        ("UIDL 7", .uidl(7)),
        ("CAPA", .capa),
        ("STLS", .stls),
        ("RETR 000001", .retr(1)),
        ("UTF8", .utf8),
        ("utf8", .utf8),
    ])
    func valid(line: String, expected: POP3Command) {
        #expect(POP3CommandParser.parse(Array(line.utf8)) == .success(expected))
    }

    @Test("Refused lines get their -ERR", arguments: [
        ("", POP3Response.unknownCommand),
        ("XYZZY", .unknownCommand),
        ("HELO there", .unknownCommand),
        ("AP", .unknownCommand),
        ("APOP taro 0123456789abcdef", .unknownCommand),
        (" STAT", .unknownCommand),
        ("STAT ", .syntaxError("STAT")),
        ("STAT 1", .syntaxError("STAT")),
        ("QUIT now", .syntaxError("QUIT")),
        ("UTF8 x", .syntaxError("UTF8")),
        ("1234", .unknownCommand),
        ("RETR", .syntaxError("RETR msg")),
        ("RETR ", .syntaxError("RETR msg")),
        ("RETR -1", .syntaxError("RETR msg")),
        ("RETR +1", .syntaxError("RETR msg")),
        ("RETR 1 2", .syntaxError("RETR msg")),
        ("RETR  1", .syntaxError("RETR msg")),
        ("RETR x", .syntaxError("RETR msg")),
        ("RETR 9999999999", .syntaxError("RETR msg")),
        ("LIST a", .syntaxError("LIST [msg]")),
        ("TOP 1", .syntaxError("TOP msg lines")),
        ("TOP 1 -1", .syntaxError("TOP msg lines")),
        ("USER", .syntaxError("USER name")),
        ("USER ", .syntaxError("USER name")),
        ("USER a b", .syntaxError("USER name")),
        ("PASS", .syntaxError("PASS password")),
        ("PASS ", .syntaxError("PASS password")),
        ("AUTH PLAIN a b", .syntaxError("AUTH mechanism [initial-response]")),
        ("AUTH  PLAIN", .syntaxError("AUTH mechanism [initial-response]")),
        ("AUTH PL@IN", .syntaxError("AUTH mechanism [initial-response]")),
    ])
    func refused(line: String, expected: POP3Response) {
        #expect(POP3CommandParser.parse(Array(line.utf8)) == .failure(expected))
    }

    @Test("A user name with invalid UTF-8 or control characters is refused")
    func invalidUserName() {
        #expect(POP3CommandParser.parse(Array("USER ".utf8) + [0xC3, 0x28]) == .failure(.syntaxError("USER name")))
        #expect(POP3CommandParser.parse(Array("USER a".utf8) + [0x01]) == .failure(.syntaxError("USER name")))
        #expect(POP3CommandParser.parse(Array("PASS a".utf8) + [0x00]) == .failure(.syntaxError("PASS password")))
    }
}

@Suite("POP3 command lines through the framer")
struct POP3FramingTests {
    /// Frames `input` fed in pieces of `step` octets and parses every line.
    private func commands(_ input: [UInt8], step: Int) -> [String] {
        var framer = LineFramer(maxLineLength: POP3Limits.commandLine)
        var out: [String] = []
        var offset = 0
        while offset < input.count {
            framer.append(input[offset..<min(offset + step, input.count)])
            offset += step
            while let event = framer.nextLine() {
                switch event {
                case .line(let line):
                    switch POP3CommandParser.parse(line) {
                    case .success(let command): out.append("\(command)")
                    case .failure(let response): out.append(response.firstLine)
                    }
                case .tooLong: out.append("too long")
                case .bareLineEnding: out.append("bare line ending")
                }
            }
        }
        return out
    }

    @Test("The same commands whether fed whole or one octet at a time", arguments: [1, 2, 3, 7, 255, 4096])
    func byteAtATime(step: Int) {
        let input = Array("CAPA\r\nUSER taro@alato.example\r\nLIST\r\nRETR 1\r\nTOP 1 5\r\nQUIT\r\n".utf8)
        #expect(commands(input, step: step) == commands(input, step: input.count))
        #expect(commands(input, step: step).count == 6)
    }

    @Test("A line over 255 octets is refused once and the next command runs in sync")
    func lineTooLong() {
        // 254 octets of line + CRLF = 256: one over the limit of RFC 2449 §4.
        let long = Array(("NOOP " + String(repeating: "x", count: 249)).utf8) + [0x0D, 0x0A]
        let exact = Array(("NOOP " + String(repeating: "x", count: 248)).utf8) + [0x0D, 0x0A]
        #expect(exact.count == 255)
        for step in [1, 10, 1000] {
            #expect(commands(long + Array("STAT\r\n".utf8), step: step) == ["too long", "stat"])
            #expect(commands(exact + Array("STAT\r\n".utf8), step: step) == [POP3Response.syntaxError("NOOP").firstLine, "stat"])
        }
    }

    @Test("A huge line (1 MiB) is skipped with bounded memory and leaves the session in sync")
    func hugeLine() {
        var framer = LineFramer(maxLineLength: POP3Limits.commandLine)
        var events: [LineFramer.Event] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
        framer.append(Array("RETR ".utf8))
        for _ in 0..<16 {
            framer.append(chunk)
            while let event = framer.nextLine() { events.append(event) }
            #expect(framer.bufferedCount <= 64 * 1024 + 255)
        }
        framer.append(Array("\r\nQUIT\r\n".utf8))
        while let event = framer.nextLine() { events.append(event) }
        #expect(events == [.tooLong, .line(Array("QUIT".utf8))])
    }
}
