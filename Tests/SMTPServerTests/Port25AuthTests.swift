import Directory
import Foundation
import Logging
import SMTPCore
import Synchronization
import Testing

/// AUTH on the port-25 service and the DKIM signing rule, in-process: a real NIO client against
/// the real server. 127.0.0.1 is inside the test access network.
@Suite(.serialized) struct Port25AuthTests {
    static let plain = "AUTH PLAIN " + Base64.encode(Array("\0taro@alato.example\0right-password".utf8))

    /// Port 25, EHLO, STARTTLS, EHLO, AUTH as taro.
    func authenticatedRelaySession(_ server: TestServer) async throws -> TestClient {
        let client = try await server.connect(.relay)
        #expect(await client.code() == 220)
        try await client.send("EHLO laptop.example.net\r\n")
        let cleartext = await client.reply() ?? ""
        #expect(cleartext.contains("STARTTLS") && !cleartext.contains("AUTH"))
        try await client.send("STARTTLS\r\n")
        #expect(await client.code() == 220)
        try await client.startTLS()
        try await client.send("EHLO laptop.example.net\r\n")
        #expect((await client.reply() ?? "").contains("250 AUTH PLAIN LOGIN"))
        try await client.send(Self.plain + "\r\n")
        #expect((await client.reply() ?? "").hasPrefix("235 2.7.0"))
        return client
    }

    /// Sends one message in the open session; returns the stored copy, or nil with the reply.
    func send(_ client: TestClient, server: TestServer, sender: String, from: String) async throws -> (stored: String?, reply: String) {
        try await client.send("MAIL FROM:<\(sender)>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        try await client.send("From: <\(from)>\r\nTo: <friend@example.org>\r\nSubject: hi\r\n\r\nHello.\r\n.\r\n")
        let reply = await client.reply() ?? ""
        guard reply.hasPrefix("250 2.0.0 Ok: queued as ") else { return (nil, reply) }
        let id = String(reply.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))
        return (try String(decoding: server.spool.messageData(of: .init(id)!), as: UTF8.self), reply)
    }

    @Test func cleartextAUTHOnPort25IsRefusedLikeSubmission() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.connect(.relay)
        #expect(await client.code() == 220)
        try await client.send("EHLO laptop.example.net\r\n" + Self.plain + "\r\n")
        #expect(await client.code() == 250)
        #expect((await client.reply() ?? "").hasPrefix("538 5.7.11"))
    }

    @Test func unauthenticatedAccessNetworkRelayIsNotSigned() async throws {
        var options = TestServer.Options()
        options.dkimDomains = ["alato.example"]
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.relay)
        #expect(await client.code() == 220)
        try await client.send("EHLO infected.example.net\r\n")
        #expect(await client.code() == 250)
        let (stored, reply) = try await send(client, server: server, sender: "taro@alato.example", from: "taro@alato.example")
        let message = try #require(stored, "relay from the access network was refused: \(reply)")
        #expect(!message.contains("DKIM-Signature:"))
        #expect(message.contains("with ESMTP id"))
    }

    @Test func authenticatedPort25SessionIsSignedAndFollowsSubmissionRules() async throws {
        var options = TestServer.Options()
        options.dkimDomains = ["alato.example"]
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await authenticatedRelaySession(server)
        try await client.send("MAIL FROM:<jiro@alato.example>\r\n")
        #expect((await client.reply() ?? "").hasPrefix("553 5.7.1"))
        try await client.send("MAIL FROM:<>\r\n")
        #expect((await client.reply() ?? "").hasPrefix("553 5.7.1"))
        let (stored, reply) = try await send(client, server: server, sender: "taro@alato.example", from: "taro@alato.example")
        let message = try #require(stored, "authenticated mail was refused: \(reply)")
        #expect(message.hasPrefix("DKIM-Signature: "))
        #expect(message.contains("d=alato.example;"))
        #expect(message.contains("with ESMTPSA id"))
        // Submission adds what the client left out (RFC 6409 §8).
        #expect(message.contains("\r\nDate: ") && message.contains("\r\nMessage-ID: <"))
    }

    @Test func authenticatedPort25FromNotOwnedIsRefused() async throws {
        var options = TestServer.Options()
        options.dkimDomains = ["alato.example"]
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await authenticatedRelaySession(server)
        let (stored, reply) = try await send(client, server: server, sender: "taro@alato.example", from: "jiro@alato.example")
        #expect(stored == nil)
        #expect(reply.hasPrefix("553 5.7.1"))
        #expect(try server.queuedCount() == 0)
    }

    @Test func failedLoginLogsOneEventWithoutTheName() async throws {
        let events = CapturedLog()
        var options = TestServer.Options()
        options.logHandler = events
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.submissionImplicitTLS)
        #expect(await client.code() == 220)
        let name = "Kasumi-gaseki 7 tsuki!\r\n2026-12-06T00:00:00+0000 info test: forged line"
        try await client.send("EHLO c\r\nAUTH PLAIN " + Base64.encode(Array("\0\(name)\0wrong".utf8)) + "\r\n")
        #expect(await client.code() == 250)
        #expect((await client.reply() ?? "").hasPrefix("535 5.7.8"))
        let failures = events.entries.filter { $0.message == "authentication failed" }
        #expect(failures.count == 1)
        #expect(failures.first?.metadata["user_length"] == "\(name.utf8.count)")
        #expect(failures.first?.metadata["user"] == nil)
        #expect(!events.entries.contains { entry in entry.metadata.values.contains { $0.contains("Kasumi") } })
    }
}

/// A log handler that keeps every event, with its metadata rendered as text.
struct CapturedLog: LogHandler {
    struct Entry: Sendable {
        var message: String
        var metadata: [String: String]
    }

    final class Store: Sendable {
        let entries = Mutex<[Entry]>([])
    }

    let store = Store()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var entries: [Entry] { store.entries.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        let entry = Entry(message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
        store.entries.withLock { $0.append(entry) }
    }
}
