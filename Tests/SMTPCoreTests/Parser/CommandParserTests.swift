import Testing
@testable import SMTPCore

@Suite struct CommandParserTests {
    private static let user = Mailbox(localPart: "user", domain: .name("example.net"))
    private static let local = Mailbox(localPart: "user", domain: .name("alato.example"))

    @Test(arguments: [
        ("EHLO client.example.net", Command.ehlo("client.example.net")),
        ("ehlo client.example.net", .ehlo("client.example.net")),
        ("EhLo [198.51.100.7]", .ehlo("[198.51.100.7]")),
        ("EHLO [IPv6:2001:db8::7]", .ehlo("[IPv6:2001:db8::7]")),
        ("EHLO my_pc", .ehlo("my_pc")),
        ("EHLO 198.51.100.7", .ehlo("198.51.100.7")),
        ("HELO client", .helo("client")),
        ("MAIL FROM:<user@example.net>", .mail(.mailbox(user), MailParameters())),
        ("mail from:<user@example.net>", .mail(.mailbox(user), MailParameters())),
        ("MAIL FROM: <user@example.net>", .mail(.mailbox(user), MailParameters())),
        ("MAIL FROM:<>", .mail(.null, MailParameters())),
        ("MAIL FROM:<> SIZE=1000", .mail(.null, MailParameters(size: 1000))),
        ("MAIL FROM:<@a.example,@b.example:user@example.net>", .mail(.mailbox(user), MailParameters())),
        ("RCPT TO:<user@alato.example>", .rcpt(.mailbox(local), RcptParameters())),
        ("rcpt to: <user@alato.example>", .rcpt(.mailbox(local), RcptParameters())),
        ("RCPT TO:<Postmaster>", .rcpt(.postmaster, RcptParameters())),
        ("RCPT TO:<postmaster>", .rcpt(.postmaster, RcptParameters())),
        ("DATA", .data),
        ("data", .data),
        ("BDAT 0 LAST", .bdat(size: 0, last: true)),
        ("BDAT 1000", .bdat(size: 1000, last: false)),
        ("bdat 12 last", .bdat(size: 12, last: true)),
        ("RSET", .rset),
        ("NOOP", .noop),
        ("NOOP anything at all", .noop),
        ("QUIT", .quit),
        ("VRFY user", .vrfy("user")),
        ("EXPN staff", .expn("staff")),
        ("HELP", .help(nil)),
        ("HELP MAIL", .help("MAIL")),
        ("STARTTLS", .startTLS),
        ("starttls", .startTLS),
        ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("auth plain AHVzZXIAcGFzcw==", .auth(mechanism: "PLAIN", initialResponse: "AHVzZXIAcGFzcw==")),
        ("AUTH PLAIN =", .auth(mechanism: "PLAIN", initialResponse: "=")),
        ("AUTH LOGIN", .auth(mechanism: "LOGIN", initialResponse: nil)),
        ("AUTH SCRAM-SHA-256", .auth(mechanism: "SCRAM-SHA-256", initialResponse: nil)),
    ])
    func validCommands(line: String, command: Command) {
        #expect(parse(line) == .success(command))
    }

    @Test(arguments: [
        // Unknown or glued verbs.
        ("", Reply.unrecognizedCommand),
        ("FOO", .unrecognizedCommand),
        ("GET / HTTP/1.1", .unrecognizedCommand),
        ("DATA:", .unrecognizedCommand),
        ("MAILFROM:<a@b.example>", .unrecognizedCommand),
        (" EHLO x", .unrecognizedCommand),
        ("EHLO2 x", .unrecognizedCommand),
        // Deliberately unimplemented (RFC 5321 §4.2.4).
        ("TURN", .notImplemented),
        ("ETRN alato.example", .notImplemented),
        ("SEND FROM:<a@b.example>", .notImplemented),
    ])
    func unknownVerbs(line: String, reply: Reply) {
        #expect(parse(line).error == reply)
    }

    @Test(arguments: [
        "EHLO", "EHLO ", "HELO", "EHLO a b", "EHLO a(b)", "EHLO <x>", "EHLO x;y",
        "MAIL", "MAIL FROM", "MAIL TO:<a@b.example>", "MAIL FROM<a@b.example>",
        "RCPT", "RCPT TO", "RCPT FROM:<a@b.example>",
        "DATA x", "RSET x", "QUIT now", "STARTTLS x", "STARTTLS ",
        "VRFY", "VRFY ", "EXPN",
        "BDAT", "BDAT x", "BDAT -1", "BDAT 1 MORE", "BDAT 1 LAST x", "BDAT 1  LAST", "BDAT 9999999999999999999",
        "AUTH", "AUTH ", "AUTH PLAIN a b", "AUTH PLAIN  abc", "AUTH THIS-NAME-IS-LONGER-THAN-20",
        "AUTH PL@IN", "AUTH PLAIN abc!", "AUTH PLAIN ",
        "MAIL FROM:<user@example.net> ", "MAIL FROM:<user@example.net> SIZE=1  BODY=7BIT",
    ])
    func parameterSyntaxErrors(line: String) throws {
        let reply = try #require(parse(line).error)
        #expect(reply.code == 501)
        #expect(reply.enhanced == EnhancedStatusCode(5, 5, 4))
    }

    @Test(arguments: [
        "MAIL FROM:user@example.net",
        "MAIL FROM:  <user@example.net>",       // only one space is tolerated
        "MAIL FROM:<user@example.net",
        "MAIL FROM:<user@@example.net>",
        "MAIL FROM:<user@example.net>SIZE=1",   // parameters need a space
        "MAIL FROM:<user @example.net>",
    ])
    func badSenderSyntax(line: String) throws {
        let reply = try #require(parse(line).error)
        #expect(reply.code == 501)
        #expect(reply.enhanced == EnhancedStatusCode(5, 1, 7))
    }

    @Test(arguments: [
        "RCPT TO:user@alato.example",
        "RCPT TO:<>",
        "RCPT TO:<user@alato.example>NOTIFY=NEVER",
        "RCPT TO:<user>",
        "RCPT TO:<Postmaster@>",
    ])
    func badRecipientSyntax(line: String) throws {
        let reply = try #require(parse(line).error)
        #expect(reply.code == 501)
        #expect(reply.enhanced == EnhancedStatusCode(5, 1, 3))
    }

    @Test func overlongPathNamesTheProblem() throws {
        let local = String(repeating: "a", count: 65)
        let reply = try #require(parse("RCPT TO:<\(local)@alato.example>").error)
        #expect(reply.code == 501)
        #expect(reply.lines == ["Local part too long"])
    }

    @Test func invalidUTF8IsRefused() {
        #expect(CommandParser.parse([0x45, 0x48, 0x4C, 0x4F, 0x20, 0xC3, 0x28]) == .failure(.invalidUTF8))
        #expect(CommandParser.parse(bytes("MAIL FROM:<") + [0xFF] + bytes("@x.example>")) == .failure(.invalidUTF8))
        // Overlong encoding of "/" and a UTF-16 surrogate.
        #expect(CommandParser.parse(bytes("VRFY ") + [0xC0, 0xAF]) == .failure(.invalidUTF8))
        #expect(CommandParser.parse(bytes("VRFY ") + [0xED, 0xA0, 0x80]) == .failure(.invalidUTF8))
    }

    @Test(arguments: [[0x0A] as [UInt8], [0x0D], [0x0D, 0x0A]])
    func lineEndingsInsideALineAreRefused(ending: [UInt8]) {
        let line = bytes("NOOP") + ending + bytes("QUIT")
        #expect(CommandParser.parse(line) == .failure(.bareLineEndingInCommand))
    }

    @Test(arguments: [[0x00] as [UInt8], [0x09], [0x7F], [0x1B]])
    func controlCharactersAreRefused(control: [UInt8]) {
        #expect(CommandParser.parse(bytes("VRFY a") + control) == .failure(.syntaxError))
    }

    @Test func overlongLineIsRefused() {
        let line = bytes("NOOP ") + [UInt8](repeating: 0x61, count: SMTPLimits.extendedCommandLine)
        #expect(CommandParser.parse(line) == .failure(.lineTooLong))
    }

    @Test func utf8AddressesParse() throws {
        let command = try #require(parse("MAIL FROM:<ユーザー@例え.example> SMTPUTF8").value)
        guard case .mail(let path, let parameters) = command else {
            Issue.record("expected MAIL")
            return
        }
        #expect(path.needsSMTPUTF8)
        #expect(parameters.smtpUTF8)
    }

    @Test func hugeInputDoesNotCrash() {
        // A stress case: every byte value at every position class, bounded in size.
        var line: [UInt8] = bytes("MAIL FROM:<")
        for value in 0...255 { line.append(UInt8(value)) }
        line += bytes(">")
        #expect(CommandParser.parse(line).error != nil)
        let many = bytes("MAIL FROM:<a@b.example>") + Array(repeating: bytes(" X-P=1"), count: 1000).flatMap { $0 }
        #expect(CommandParser.parse(many).error != nil)
    }
}
