import AbuseTestSupport
import Directory
import Foundation
import MaildirStore
import SMTPCore
import Spool
import Testing

/// The POP3 service through real NIO clients on loopback, over the test server's Maildirs.
@Suite(.serialized) struct POP3SessionTests {
    static let account = "taro@alato.example"

    /// Delivers `text` to taro's Maildir as local delivery does; returns the file's path in new/.
    @discardableResult
    private func deliver(_ text: String, on server: TestServer) throws -> String {
        let path = try #require(Maildir.path(root: server.mailboxRoot, account: Self.account))
        let source = server.directoryPath + "/source-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: source))
        defer { unlink(source) }
        return try Maildir(path: path, hostname: "mail.alato.example").deliver(from: .file(source), headerLines: [])
    }

    private func curFiles(on server: TestServer) throws -> [String] {
        let path = try #require(Maildir.path(root: server.mailboxRoot, account: Self.account))
        return (try? FileManager.default.contentsOfDirectory(atPath: path + "/cur").sorted()) ?? []
    }

    /// What RETR must send for a stored (LF) message: CRLF lines, dot-stuffed, then `.`.
    private func expectedRETR(_ stored: String) -> [UInt8] {
        var lines = stored.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return Array((lines.map { ($0.hasPrefix(".") ? "." + $0 : $0) + "\r\n" }.joined() + ".\r\n").utf8)
    }

    /// Implicit TLS, greeting, USER/PASS; returns the client and the PASS response.
    private func login(_ server: TestServer, user: String = account, password: String = "right-password") async throws -> (TestClient, String) {
        let client = try await TestClient.connect(port: server.pop3sPort, implicitTLS: true)
        let greeting = await client.popLine() ?? ""
        guard greeting.hasPrefix("+OK") else { return (client, greeting) }
        try await client.send("USER \(user)\r\nPASS \(password)\r\n")
        #expect(await client.popLine() == "+OK Send PASS")
        return (client, await client.popLine() ?? "")
    }

    @Test("Cleartext: CAPA offers only STLS; a login is refused naming STLS; input pipelined after STLS is dropped")
    func stls() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await TestClient.connect(port: server.pop3Port)
        #expect(await client.popLine() == "+OK mail.alato.example POP3 Portcullis ready")
        try await client.send("CAPA\r\n")
        #expect(await client.popLine() == "+OK Capability list follows")
        #expect(await client.popBody() == Array("STLS\r\n.\r\n".utf8))
        try await client.send("USER taro@alato.example\r\n")
        let refused = await client.popLine() ?? ""
        #expect(refused.hasPrefix("-ERR") && refused.contains("STLS"), "got \(refused)")
        // A command pipelined behind STLS in the same packet must not run after the handshake.
        try await client.send("STLS\r\nUSER injected@alato.example\r\n")
        #expect(await client.popLine() == "+OK Begin TLS negotiation")
        try await client.startTLS()
        try await client.send("CAPA\r\n")
        #expect(await client.popLine() == "+OK Capability list follows")
        let after = String(decoding: await client.popBody() ?? [], as: UTF8.self)
        #expect(after.contains("USER\r\n") && after.contains("SASL PLAIN\r\n") && !after.contains("STLS"))
        // PASS without USER: the injected USER was discarded.
        try await client.send("PASS right-password\r\n")
        #expect(await client.popLine() == "-ERR Send USER first")
        try await client.send("USER taro@alato.example\r\nPASS right-password\r\nQUIT\r\n")
        #expect(await client.popLine() == "+OK Send PASS")
        #expect(await client.popLine()?.hasPrefix("+OK Logged in") == true)
        #expect(await client.popLine() == "+OK Bye")
        #expect(await client.waitForClose())
    }

    @Test("LIST, UIDL, RETR and TOP: sizes are the CRLF octets, RETR is byte-exact, UIDs are the unique names")
    func retrieval() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let first = "Subject: one\n\nHello.\n.leading dot\n..two dots\n"
        let second = "Subject: two\nX: y\n\nline 1\nline 2\nline 3\n"
        let firstPath = try deliver(first, on: server)
        try deliver(second, on: server)
        // The sizes with CRLF line endings: one more octet per line.
        let firstSize = first.utf8.count + 5, secondSize = second.utf8.count + 6
        let (client, loggedIn) = try await login(server)
        #expect(loggedIn == "+OK Logged in: maildrop has 2 messages (\(firstSize + secondSize) octets)")
        try await client.send("STAT\r\nLIST\r\n")
        #expect(await client.popLine() == "+OK 2 \(firstSize + secondSize)")
        #expect(await client.popLine() == "+OK 2 messages (\(firstSize + secondSize) octets)")
        #expect(await client.popBody() == Array("1 \(firstSize)\r\n2 \(secondSize)\r\n.\r\n".utf8))
        try await client.send("UIDL 1\r\n")
        let uid = MaildirFileName(parsing: String(firstPath.split(separator: "/").last!)).uniqueName
        #expect(await client.popLine() == "+OK 1 \(uid)")
        try await client.send("RETR 1\r\n")
        #expect(await client.popLine() == "+OK \(firstSize) octets")
        #expect(await client.popBody() == expectedRETR(first))
        try await client.send("TOP 2 1\r\n")
        #expect(await client.popLine() == "+OK Top of message follows")
        #expect(await client.popBody() == Array("Subject: two\r\nX: y\r\n\r\nline 1\r\n.\r\n".utf8))
        try await client.send("RETR 3\r\n")
        #expect(await client.popLine() == "-ERR No such message")
        try await client.send("QUIT\r\n")
        #expect(await client.popLine() == "+OK Bye")
        // Reading marks nothing: both are still there, now in cur/ with the standard info.
        let cur = try curFiles(on: server)
        #expect(cur.count == 2 && cur.allSatisfy { $0.hasSuffix(":2,") })
    }

    @Test("A 5 MiB message is streamed byte-exact")
    func largeMessage() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        var body = "Subject: big\n\n"
        var generator = 0
        while body.utf8.count < 5 * 1024 * 1024 {
            generator += 1
            body += (generator % 50 == 0 ? "." : "") + String(repeating: "abcdefghij", count: generator % 9) + "\n"
        }
        try deliver(body, on: server)
        let (client, loggedIn) = try await login(server)
        #expect(loggedIn.hasPrefix("+OK Logged in"))
        try await client.send("RETR 1\r\n")
        let expected = expectedRETR(body)
        #expect(await client.popLine() == "+OK \(body.utf8.count + body.utf8.filter { $0 == 0x0A }.count) octets")
        let received = await client.popBody(timeout: .seconds(60))
        #expect(received?.count == expected.count)
        #expect(received == expected)
        await client.close()
    }

    @Test("DELE takes effect only at QUIT: a dropped connection and RSET keep the message")
    func deletion() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        try deliver("Subject: b\n\ny\n", on: server)

        let (dropped, _) = try await login(server)
        try await dropped.send("DELE 1\r\n")
        #expect(await dropped.popLine() == "+OK Message 1 deleted")
        await dropped.close()
        try await Task.sleep(for: .milliseconds(100))
        #expect(try curFiles(on: server).count == 2)

        let (reset, _) = try await login(server)
        try await reset.send("DELE 1\r\nDELE 2\r\nRSET\r\nQUIT\r\n")
        #expect(await reset.popLine() == "+OK Message 1 deleted")
        #expect(await reset.popLine() == "+OK Message 2 deleted")
        #expect(await reset.popLine()?.hasPrefix("+OK Maildrop has 2 messages") == true)
        #expect(await reset.popLine() == "+OK Bye")
        #expect(try curFiles(on: server).count == 2)

        let (quitting, _) = try await login(server)
        try await quitting.send("DELE 1\r\nSTAT\r\nQUIT\r\n")
        #expect(await quitting.popLine() == "+OK Message 1 deleted")
        #expect(await quitting.popLine()?.hasPrefix("+OK 1 ") == true)
        #expect(await quitting.popLine() == "+OK Bye: 1 message deleted")
        #expect(await quitting.waitForClose())
        let left = try curFiles(on: server)
        #expect(left.count == 1)
        let (check, _) = try await login(server)
        try await check.send("TOP 1 0\r\n")
        #expect(await check.popLine() == "+OK Top of message follows")
        #expect(await check.popBody() == Array("Subject: b\r\n\r\n.\r\n".utf8))
        await check.close()
    }

    @Test("A second login to a maildrop in use gets [IN-USE]; mail delivered during a session waits for the next")
    func exclusiveAndSnapshot() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        let (first, firstLogin) = try await login(server)
        #expect(firstLogin.hasPrefix("+OK Logged in: maildrop has 1 message "))
        let (second, secondLogin) = try await login(server)
        #expect(secondLogin == "-ERR [IN-USE] Mailbox in use by another session")
        await second.close()
        try deliver("Subject: b\n\ny\n", on: server)
        try await first.send("STAT\r\nQUIT\r\n")
        #expect(await first.popLine()?.hasPrefix("+OK 1 ") == true)
        #expect(await first.popLine() == "+OK Bye")
        #expect(await first.waitForClose())
        try await Task.sleep(for: .milliseconds(50))
        let (third, thirdLogin) = try await login(server)
        #expect(thirdLogin.hasPrefix("+OK Logged in: maildrop has 2 messages"), "got \(thirdLogin)")
        await third.close()
        // A dropped connection releases the lock too.
        try await Task.sleep(for: .milliseconds(50))
        let (fourth, fourthLogin) = try await login(server)
        #expect(fourthLogin.hasPrefix("+OK Logged in"), "got \(fourthLogin)")
        await fourth.close()
    }

    @Test("UIDs are the same across sessions and server restarts")
    func stableUIDs() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        try deliver("Subject: b\n\ny\n", on: server)
        var listings: [[UInt8]] = []
        for _ in 0..<2 {
            let (client, _) = try await login(server)
            try await client.send("UIDL\r\nQUIT\r\n")
            #expect(await client.popLine() == "+OK Unique-ID listing follows")
            listings.append(await client.popBody() ?? [])
            _ = await client.popLine()
        }
        #expect(listings[0] == listings[1])
        // A new maildrop reading of the same files (what a restarted server does) agrees.
        let path = try #require(Maildir.path(root: server.mailboxRoot, account: Self.account))
        let reopened = try Maildrop.open(path: path)
        let fromDisk = reopened.messages.enumerated().map { "\($0.offset + 1) \($0.element.uniqueID)\r\n" }.joined() + ".\r\n"
        #expect(listings[0] == Array(fromDisk.utf8))
    }

    @Test("AUTH PLAIN with an initial response and with the continuation; wrong passwords get [AUTH]")
    func authPlain() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await TestClient.connect(port: server.pop3sPort, implicitTLS: true)
        _ = await client.popLine()
        try await client.send("AUTH PLAIN \(Base64.encode(Array("\0taro@alato.example\0wrong".utf8)))\r\n")
        #expect(await client.popLine() == "-ERR [AUTH] Invalid user name or password")
        try await client.send("AUTH PLAIN\r\n")
        #expect(await client.popLine() == "+ ")
        try await client.send("\(Base64.encode(Array("\0taro@alato.example\0right-password".utf8)))\r\n")
        #expect(await client.popLine()?.hasPrefix("+OK Logged in") == true)
        await client.close()
    }

    @Test("Pipelined commands are answered in order; a line over 255 octets is refused and the session stays in sync")
    func pipelining() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        let (client, _) = try await login(server)
        try await client.send("NOOP " + String(repeating: "x", count: 400) + "\r\nSTAT\r\nRETR 1\r\nLIST 1\r\nNOOP\r\n")
        #expect(await client.popLine() == "-ERR Line too long: at most 255 octets")
        #expect(await client.popLine()?.hasPrefix("+OK 1 ") == true)
        #expect(await client.popLine()?.hasPrefix("+OK") == true)
        #expect(await client.popBody() == expectedRETR("Subject: a\n\nx\n"))
        #expect(await client.popLine()?.hasPrefix("+OK 1 ") == true)
        #expect(await client.popLine() == "+OK")
        await client.close()
    }

    @Test("A client that pipelines RETRs without reading holds a bounded amount: commands wait for the channel to drain")
    func pipeliningWithoutReading() async throws {
        let log = CapturedLog()
        var options = TestServer.Options()
        options.logHandler = log
        let server = try await TestServer(options)
        defer { server.stop() }
        try deliver("Subject: big\n\n" + String(repeating: String(repeating: "x", count: 79) + "\n", count: 512), on: server)
        let (client, loggedIn) = try await login(server)
        #expect(loggedIn.hasPrefix("+OK Logged in"))
        try await client.stopReading()
        // 1,500 RETRs of 40 KiB: 60 MB if all were queued; the socket buffers hold a few MB.
        let total = 1500
        try await client.send(String(repeating: "RETR 1\r\n", count: total))
        func retrieved() -> Int { log.entries.filter { $0.message == "retrieved" }.count }
        var previous = -1
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(500))
            let now = retrieved()
            if now == previous { break }
            previous = now
        }
        let stalled = retrieved()
        #expect(stalled == previous, "still retrieving: the server does not wait for the client to read")
        #expect(stalled < total / 2, "\(stalled) of \(total) RETRs were written to a client that reads nothing")
        await client.close()
    }

    @Test("A message removed under a live session (mailbox purge) gets a plain -ERR on RETR and TOP; the session goes on")
    func vanishedMessage() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        try deliver("Subject: b\n\ny\n", on: server)
        let (client, loggedIn) = try await login(server)
        #expect(loggedIn.hasPrefix("+OK Logged in: maildrop has 2 messages"))
        let path = try #require(Maildir.path(root: server.mailboxRoot, account: Self.account))
        // What `portcullis mailbox purge` does: unlink the file the session listed as 1.
        #expect(unlink(try Maildrop.open(path: path).messages[0].path) == 0)
        try await client.send("RETR 1\r\nTOP 1 0\r\nRETR 2\r\n")
        // A plain -ERR, not [SYS/TEMP]: a client must not retry a message that is gone.
        #expect(await client.popLine() == "-ERR Message no longer exists")
        #expect(await client.popLine() == "-ERR Message no longer exists")
        #expect(await client.popLine()?.hasPrefix("+OK") == true)
        #expect(await client.popBody() == expectedRETR("Subject: b\n\ny\n"))
        try await client.send("DELE 1\r\nQUIT\r\n")
        #expect(await client.popLine() == "+OK Message 1 deleted")
        #expect(await client.popLine() == "+OK Bye: 1 message deleted")
        #expect(await client.waitForClose())
        #expect(try curFiles(on: server).count == 1)
    }

    @Test("A message an IMAP server flagged during the session (renamed to :2,S) is still retrieved and deleted")
    func flaggedDuringSession() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        let (client, loggedIn) = try await login(server)
        #expect(loggedIn.hasPrefix("+OK Logged in: maildrop has 1 message"))
        let path = try #require(Maildir.path(root: server.mailboxRoot, account: Self.account))
        let listed = try #require(try curFiles(on: server).first)
        #expect(rename("\(path)/cur/\(listed)", "\(path)/cur/\(listed)S") == 0)
        try await client.send("RETR 1\r\n")
        #expect(await client.popLine()?.hasPrefix("+OK") == true)
        #expect(await client.popBody() == expectedRETR("Subject: a\n\nx\n"))
        try await client.send("DELE 1\r\nQUIT\r\n")
        #expect(await client.popLine() == "+OK Message 1 deleted")
        #expect(await client.popLine() == "+OK Bye: 1 message deleted")
        #expect(await client.waitForClose())
        #expect(try curFiles(on: server).isEmpty)
    }

    @Test("A disabled account cannot log in; a held (suspended) account still reads its mail")
    func accountStates() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        try await server.directory.addUser("jiro@alato.example", password: Password("right-password"))
        try await server.directory.disableUser("jiro@alato.example")
        let (disabled, refusal) = try await login(server, user: "jiro@alato.example")
        #expect(refusal == "-ERR [AUTH] Invalid user name or password")
        await disabled.close()
        _ = try await server.directory.suspend(Self.account, reason: "test burst", at: Date())
        try deliver("Subject: a\n\nx\n", on: server)
        let (held, reply) = try await login(server)
        #expect(reply.hasPrefix("+OK Logged in: maildrop has 1 message"), "got \(reply)")
        await held.close()
    }

    @Test("The autologout timer closes an idle session without removing what was marked")
    func idleTimeout() async throws {
        var options = TestServer.Options()
        options.pop3IdleTimeout = .milliseconds(300)
        let server = try await TestServer(options)
        defer { server.stop() }
        try deliver("Subject: a\n\nx\n", on: server)
        let (client, _) = try await login(server)
        try await client.send("DELE 1\r\n")
        #expect(await client.popLine() == "+OK Message 1 deleted")
        #expect(await client.popLine() == "-ERR Autologout: idle too long")
        #expect(await client.waitForClose())
        #expect(try curFiles(on: server).count == 1)
    }

    @Test("Failed POP3 logins lock out SMTP AUTH and POP3 alike: [SYS/TEMP], and the address is refused at connect")
    func sharedLockout() async throws {
        var settings = smallAbuseSettings()
        settings.connectionsPerMinute = 0
        let abuse = try await AbuseServer(try await AbuseFixture(settings, store: .buffered))
        defer { abuse.stop() }
        let server = abuse.server
        let client = try await TestClient.connect(port: server.pop3sPort, implicitTLS: true)
        _ = await client.popLine()
        for attempt in 1...4 {
            try await client.send("USER taro@alato.example\r\nPASS wrong-\(attempt)\r\n")
            _ = await client.popLine()
            #expect(await client.popLine() == "-ERR [AUTH] Invalid user name or password", "attempt \(attempt)")
        }
        // Blocked now: even the right password is not checked.
        try await client.send("USER taro@alato.example\r\nPASS right-password\r\n")
        _ = await client.popLine()
        #expect(await client.popLine() == "-ERR [SYS/TEMP] Cannot log in now; try again later")
        await client.close()
        // SMTP submission from the same address is refused at connect, as is POP3.
        let smtp = try await abuse.connect(.submissionImplicitTLS)
        #expect((await smtp.reply() ?? "").hasPrefix("421 4.7.0 Too many failed logins"))
        let pop3 = try await TestClient.connect(port: server.pop3Port)
        let refused = await pop3.popLine() ?? ""
        #expect(refused.hasPrefix("-ERR [SYS/TEMP] Too many failed logins"), "got \(refused)")
        #expect(await pop3.waitForClose())
        // The failures are in the shared store: what `portcullis security status` lists.
        let blocks = try await server.directory.activeBlocks(at: abuse.fixture.clock.now)
        #expect(blocks.contains { $0.subject == .account("taro@alato.example") })
    }
}
