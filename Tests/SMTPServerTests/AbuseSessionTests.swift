import AbuseTestSupport
import Directory
import Foundation
import SMTPCore
import Testing

/// The abuse controls through real SMTP sessions on loopback (all from 127.0.0.1; the per-address
/// distinctions are in AbuseGuardTests). The clock is the fixture's: windows pass without sleeping.
@Suite(.serialized) struct AbuseSessionTests {
    @Test(arguments: AbuseStoreKind.allCases)
    func connectionRateRefusesWith421AtConnectAndReleasesAfterAMinute(store: AbuseStoreKind) async throws {
        let server = try await AbuseServer(try await AbuseFixture(store: store))
        defer { server.stop() }
        for _ in 1...5 {
            let client = try await server.connect(.relay)
            #expect(await client.code() == 220)
            await client.close()
        }
        let refused = try await server.connect(.relay)
        let reply = await refused.reply() ?? ""
        #expect(reply.hasPrefix("421 4.7.0 "), "got \(reply)")
        #expect(reply.contains("5 connections per minute"))
        #expect(await refused.waitForClose())
        server.fixture.clock.advance(seconds: 61)
        let again = try await server.connect(.relay)
        #expect(await again.code() == 220)
        await again.close()
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func passwordGuessingGets454ThenTheAddressGets421AtConnect(store: AbuseStoreKind) async throws {
        var settings = smallAbuseSettings()
        settings.connectionsPerMinute = 0
        let server = try await AbuseServer(try await AbuseFixture(settings, store: store))
        defer { server.stop() }
        let (client, first) = try await server.login("taro@alato.example", "wrong-1")
        #expect(first.hasPrefix("535 5.7.8"), "got \(first)")
        for attempt in 2...4 {
            try await client.send("AUTH PLAIN \(Data("\0taro@alato.example\0wrong-\(attempt)".utf8).base64EncodedString())\r\n")
            let reply = await client.reply() ?? ""
            #expect(reply.hasPrefix("535 5.7.8"), "attempt \(attempt): \(reply)")
        }
        // Blocked now: even the right password is not checked in this session…
        try await client.send("AUTH PLAIN \(Data("\0taro@alato.example\0right-password".utf8).base64EncodedString())\r\n")
        let blocked = await client.reply() ?? ""
        #expect(blocked.hasPrefix("454 4.7.0"), "got \(blocked)")
        await client.close()
        // …and a new connection to submission is refused at once.
        let refused = try await server.connect(.submissionImplicitTLS)
        let greeting = await refused.reply() ?? ""
        #expect(greeting.hasPrefix("421 4.7.0 Too many failed logins"), "got \(greeting)")
        // The cooldown passes: the owner logs in.
        server.fixture.clock.advance(seconds: 901)
        let (owner, reply) = try await server.login()
        #expect(reply.hasPrefix("235"), "got \(reply)")
        await owner.close()
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func messagesPerHourGive450AtMailAndReleaseAfterTheWindow(store: AbuseStoreKind) async throws {
        let server = try await AbuseServer(try await AbuseFixture(store: store))
        defer { server.stop() }
        let (client, auth) = try await server.login()
        #expect(auth.hasPrefix("235"))
        for index in 1...3 {
            try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<x\(index)@example.net>\r\nDATA\r\n")
            #expect(await client.code() == 250)
            #expect(await client.code() == 250)
            #expect(await client.code() == 354)
            try await client.send(tinyMessage("m\(index)"))
            #expect(await client.code() == 250)
        }
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        let limited = await client.reply() ?? ""
        #expect(limited.hasPrefix("450 4.7.1 Rate limit: 3 messages per hour"), "got \(limited)")
        // Nothing accepted was dropped.
        #expect(try server.queued().count == 3)
        server.fixture.clock.advance(seconds: 3661)
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        await client.close()
    }

    /// Port 25 after STARTTLS and AUTH is counted as the account, as on submission: three
    /// messages there use up taro's hour, and his next MAIL on submission gets 450.
    @Test(arguments: AbuseStoreKind.allCases)
    func authenticatedPort25MailCountsAgainstTheAccount(store: AbuseStoreKind) async throws {
        let server = try await AbuseServer(try await AbuseFixture(store: store))
        defer { server.stop() }
        let relay = try await server.connect(.relay)
        #expect(await relay.code() == 220)
        try await relay.send("EHLO laptop.example.net\r\nSTARTTLS\r\n")
        #expect(await relay.code() == 250)
        #expect(await relay.code() == 220)
        try await relay.startTLS()
        let token = Data("\0taro@alato.example\0right-password".utf8).base64EncodedString()
        try await relay.send("EHLO laptop.example.net\r\nAUTH PLAIN \(token)\r\n")
        #expect(await relay.code() == 250)
        #expect(await relay.code() == 235)
        for index in 1...3 {
            try await relay.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<x\(index)@example.net>\r\nDATA\r\n")
            #expect(await relay.code() == 250)
            #expect(await relay.code() == 250)
            #expect(await relay.code() == 354)
            try await relay.send(tinyMessage("m\(index)"))
            #expect(await relay.code() == 250)
        }
        await relay.close()
        let (client, auth) = try await server.login()
        #expect(auth.hasPrefix("235"))
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        let limited = await client.reply() ?? ""
        #expect(limited.hasPrefix("450 4.7.1 Rate limit: 3 messages per hour"), "got \(limited)")
        await client.close()
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func recipientsPerDayGive452AtRcpt(store: AbuseStoreKind) async throws {
        var settings = smallAbuseSettings()
        settings.burstMinimumRecipients = 1000
        let server = try await AbuseServer(try await AbuseFixture(settings, store: store))
        defer { server.stop() }
        let (client, _) = try await server.login()
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        for index in 1...8 {
            try await client.send("RCPT TO:<r\(index)@example.net>\r\n")
            #expect(await client.code() == 250, "recipient \(index)")
        }
        try await client.send("RCPT TO:<r9@example.net>\r\n")
        let limited = await client.reply() ?? ""
        #expect(limited.hasPrefix("452 4.5.3 Rate limit: 8 recipients per day"), "got \(limited)")
        // The accepted ones still go: the message is queued with its 8 recipients.
        try await client.send("DATA\r\n")
        #expect(await client.code() == 354)
        try await client.send(tinyMessage())
        #expect(await client.code() == 250)
        #expect(try server.queued().first?.envelope.recipients.count == 8)
        server.fixture.clock.advance(seconds: 86_461)
        try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<r10@example.net>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        await client.close()
    }

    @Test(arguments: AbuseStoreKind.allCases)
    func aBurstIsAcceptedButHeldThenTheAccountIsSuspended(store: AbuseStoreKind) async throws {
        var settings = smallAbuseSettings()
        settings.recipientsPerDay = 1000
        let server = try await AbuseServer(try await AbuseFixture(settings, store: store))
        defer { server.stop() }
        let (client, _) = try await server.login()
        // A normal message first: delivered normally.
        try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<a@example.net>\r\nDATA\r\n")
        for _ in 1...3 { _ = await client.reply() }
        try await client.send(tinyMessage("normal"))
        #expect(await client.code() == 250)
        // Then 10 recipients at once: the 7th in ten minutes trips the hold, the client sees 250s.
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        for index in 1...10 {
            try await client.send("RCPT TO:<b\(index)@example.net>\r\n")
            #expect(await client.code() == 250, "recipient \(index)")
        }
        try await client.send("DATA\r\n")
        #expect(await client.code() == 354)
        try await client.send(tinyMessage("burst"))
        let queued = await client.reply() ?? ""
        #expect(queued.hasPrefix("250 2.0.0 Ok: queued as"), "got \(queued)")
        // The next transaction is refused.
        try await client.send("MAIL FROM:<taro@alato.example>\r\n")
        let suspended = await client.reply() ?? ""
        #expect(suspended.hasPrefix("550 5.7.1 Account suspended"), "got \(suspended)")
        await client.close()

        let messages = try server.queued()
        let normal = try #require(messages.first { $0.envelope.recipients.count == 1 && $0.envelope.sender.mailbox?.string == "taro@alato.example" })
        let burst = try #require(messages.first { $0.envelope.recipients.count == 10 })
        let notice = try #require(messages.first { $0.envelope.recipients.map(\.path.description) == ["<postmaster@alato.example>"] })
        #expect(!normal.held)
        #expect(burst.held)
        #expect(!notice.held)
        #expect(messages.count == 3)
    }
}
