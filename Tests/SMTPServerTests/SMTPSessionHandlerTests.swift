import Directory
import NIOCore
import SMTPCore
import Testing

/// In-process tests: a real NIO client against the real server on loopback.
@Suite(.serialized) struct SMTPSessionHandlerTests {
    static let message = "From: <taro@alato.example>\r\nTo: <hanako@alato.example>\r\nSubject: hi\r\n\r\nHello.\r\n"

    @Test func pipelinedTransactionIsAnsweredInOrder() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        // RFC 2920 §3.1: the whole envelope in one write, DATA last; the message after the 354,
        // with the QUIT that follows it.
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nRCPT TO:<nobody@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 550)
        #expect(await client.code() == 354)
        try await client.send(Self.message + ".\r\nQUIT\r\n")
        let queued = await client.reply() ?? ""
        #expect(queued.hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(await client.code() == 221)
        #expect(try server.queuedCount() == 1)
    }

    @Test func bdatChunksMakeOneMessage() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        let body = Array(Self.message.utf8)
        let first = Array(body[..<20]), rest = Array(body[20...])
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        try await client.send(Array("BDAT \(first.count)\r\n".utf8) + first)
        #expect(await client.code() == 250)
        try await client.send(Array("BDAT \(rest.count) LAST\r\n".utf8) + rest)
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
        let id = String(reply.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))
        let stored = try String(decoding: server.spool.messageData(of: .init(id)!), as: UTF8.self)
        #expect(stored.hasSuffix(Self.message))
        #expect(stored.hasPrefix("Received: from client.example.net"))
    }

    @Test func overlongCommandLineIsRefusedAndSessionContinues() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("NOOP " + String(repeating: "x", count: 5000) + "\r\nNOOP\r\n")
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("500 5.5.2"))
        #expect(await client.code() == 250)
    }

    @Test func bareLineFeedInDataIsRefusedAndNothingSmuggled() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        // The classic smuggling payload: "\n.\n" then a second transaction, then the real end.
        try await client.send("Subject: one\r\n\r\nbody\n.\nMAIL FROM:<evil@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n")
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("5"), "got \(reply)")
        try await client.send("NOOP\r\n")
        #expect(await client.code() == 250)
        #expect(try server.queuedCount() == 0)
    }

    @Test func bareCarriageReturnInCommandIsRefused() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("NOOP\rNOOP\r\n")
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("500") || reply.hasPrefix("554"), "got \(reply)")
    }

    /// A bare CR refuses its whole line once, however the packets are cut: the rest of the line
    /// never runs as a command (it would be a second RCPT here), and the next line is read in sync.
    @Test func bareCarriageReturnSplitAcrossPacketsIsOneRefusal() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\rR")
        try await Task.sleep(for: .milliseconds(50))
        try await client.send("CPT TO:<taro@alato.example>\r\n")
        let refusal = await client.code()
        #expect((500..<600).contains(refusal), "got \(refusal)")
        try await client.send("RCPT TO:<taro@alato.example>\r\nNOOP\r\n")
        #expect(await client.code() == 503)             // the smuggled MAIL never ran
        #expect(await client.code() == 250)
    }

    @Test func tooManyRecipientsGet452() async throws {
        var options = TestServer.Options()
        options.maxRecipients = 2
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nRCPT TO:<taro@alato.example>\r\nRCPT TO:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("452 4.5.3"))
    }

    @Test func relayFromOutsideAccessNetworksIsDenied() async throws {
        var options = TestServer.Options()
        options.accessNetworks = ["198.51.100.0/24"]
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<someone@example.org>\r\nRCPT TO:<Taro@ALATO.example>\r\n")
        #expect(await client.code() == 250)
        let denied = await client.reply() ?? ""
        #expect(denied.hasPrefix("554 5.7.1"))
        #expect(await client.code() == 250)
    }

    @Test func relayFromAccessNetworkIsAllowed() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@alato.example>\r\nRCPT TO:<someone@example.org>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
    }

    @Test func startTLSDiscardsPipelinedCommandsAndResetsSession() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.connect(.submission)
        #expect(await client.code() == 220)
        try await client.send("EHLO client.example.net\r\n")
        let ehlo = await client.reply() ?? ""
        #expect(ehlo.contains("STARTTLS"))
        #expect(!ehlo.contains("AUTH"))
        // Injected after STARTTLS in the same packet: must never be executed (RFC 3207 §4.2).
        try await client.send("STARTTLS\r\nAUTH PLAIN \(Base64.encode(Array("\0taro@alato.example\0right-password".utf8)))\r\n")
        let ready = await client.reply() ?? ""
        #expect(ready.hasPrefix("220"))
        try await client.startTLS()
        #expect(await client.isSilent(for: .milliseconds(300)))
        // After the handshake the session starts over: EHLO first.
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        #expect(await client.code() == 503)
        try await client.send("EHLO client.example.net\r\n")
        let secure = await client.reply() ?? ""
        #expect(secure.contains("AUTH PLAIN LOGIN"))
        #expect(!secure.contains("STARTTLS"))
    }

    @Test func submissionRequiresTLSThenAuthThenOwnSender() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.connect(.submissionImplicitTLS)
        #expect(await client.code() == 220)
        try await client.send("EHLO client.example.net\r\nMAIL FROM:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        #expect((await client.reply() ?? "").hasPrefix("530 5.7.0"))
        try await client.send("AUTH PLAIN \(Base64.encode(Array("\0taro@alato.example\0wrong".utf8)))\r\n")
        #expect((await client.reply() ?? "").hasPrefix("535 5.7.8"))
        try await client.send("AUTH PLAIN \(Base64.encode(Array("\0taro@alato.example\0right-password".utf8)))\r\n")
        #expect((await client.reply() ?? "").hasPrefix("235 2.7.0"))
        try await client.send("MAIL FROM:<jiro@alato.example>\r\n")
        #expect((await client.reply() ?? "").hasPrefix("553 5.7.1"))
        try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        try await client.send("From: <taro@alato.example>\r\nSubject: no date\r\n\r\nhi\r\n.\r\n")
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
        let id = String(reply.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))
        let stored = try String(decoding: server.spool.messageData(of: .init(id)!), as: UTF8.self)
        #expect(stored.contains("with ESMTPSA id \(id)"))
        #expect(stored.contains("\r\nDate: "))
        #expect(stored.contains("\r\nMessage-ID: <"))
    }

    @Test func fromHeaderNotOwnedIsRefusedAfterData() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.submissionSession()
        try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\nFrom: <ceo@example.org>\r\n\r\nhi\r\n.\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        #expect((await client.reply() ?? "").hasPrefix("553 5.7.1"))
        #expect(try server.queuedCount() == 0)
    }

    @Test func oversizedMessageIsRefusedWhileStreaming() async throws {
        var options = TestServer.Options()
        options.maxMessageSize = 10_000
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net> SIZE=20000\r\n")
        #expect((await client.reply() ?? "").hasPrefix("552 5.3.4"))
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        let line = String(repeating: "y", count: 900) + "\r\n"
        try await client.send("Subject: big\r\n\r\n" + String(repeating: line, count: 20) + ".\r\n")
        #expect((await client.reply() ?? "").hasPrefix("552 5.3.4"))
        #expect(try server.queuedCount() == 0)
    }

    @Test func idleClientTimesOutWith421() async throws {
        var options = TestServer.Options()
        options.commandTimeout = .milliseconds(300)
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.relay)
        #expect(await client.code() == 220)
        #expect((await client.reply(timeout: .seconds(5)) ?? "").hasPrefix("421 4.4.2"))
        #expect(await client.waitForClose())
    }

    @Test func tooManyErrorsCloseTheSession() async throws {
        var options = TestServer.Options()
        options.maxErrors = 3
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("BOGUS\r\nBOGUS\r\nBOGUS\r\n")
        #expect(await client.code() == 500)
        #expect(await client.code() == 500)
        #expect(await client.code() == 500)
        #expect((await client.reply() ?? "").hasPrefix("421"))
        #expect(await client.waitForClose())
    }

    @Test func connectionsPerClientAreLimited() async throws {
        var options = TestServer.Options()
        options.maxPerClient = 2
        let server = try await TestServer(options)
        defer { server.stop() }
        let first = try await server.connect(.relay)
        let second = try await server.connect(.relay)
        #expect(await first.code() == 220)
        #expect(await second.code() == 220)
        let third = try await server.connect(.relay)
        #expect((await third.reply() ?? "").hasPrefix("421"))
        #expect(await third.waitForClose())
        await first.close()
        // The slot is released when a session ends.
        try? await Task.sleep(for: .milliseconds(200))
        let fourth = try await server.connect(.relay)
        #expect(await fourth.code() == 220)
    }
}
