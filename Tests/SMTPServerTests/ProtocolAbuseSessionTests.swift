import Foundation
import NIOCore
import SMTPCore
import Testing
@testable import SMTPServer

/// The server end of the rules against clients that do not wait for it, over loopback with a
/// real NIO client: NUL in DATA and BDAT, content before the 354, talking during greet_pause.
@Suite struct ProtocolAbuseSessionTests {
    static let message = "From: <a@example.net>\r\nTo: <taro@alato.example>\r\nSubject: t\r\n\r\nhello\r\n"

    func openData(_ client: TestClient) async throws {
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
    }

    // MARK: NUL

    @Test(arguments: ["\r\n\0.\r\n", "\r\n.\0\r\n", "\r\nbody \0 text\r\n"])
    func nulInDataIsRefusedAndTheSessionStaysInSync(nul: String) async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await openData(client)
        try await client.send(Self.message + "line" + nul + "more\r\n.\r\nRSET\r\n")
        #expect((await client.reply() ?? "").hasPrefix("554 5.6.0"))
        #expect(await client.code() == 250)       // RSET: read as a command, in step
        #expect(try server.queuedCount() == 0)
        // The session still takes a clean message.
        try await openData(client)
        try await client.send(Self.message + ".\r\n")
        #expect((await client.reply() ?? "").hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(try server.queuedCount() == 1)
    }

    @Test func nulInAnEarlierBDATChunkIsRefusedAtLAST() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        let first = Array("Subject: t\r\n\r\nNUL: ".utf8) + [0] + Array("\r\n".utf8)
        try await client.send(Array("BDAT \(first.count)\r\n".utf8) + first)
        #expect((await client.reply() ?? "").hasPrefix("250 2.0.0"))
        let last = Array("clean\r\n".utf8)
        try await client.send(Array("BDAT \(last.count) LAST\r\n".utf8) + last + Array("NOOP\r\n".utf8))
        #expect((await client.reply() ?? "").hasPrefix("554 5.6.0"))
        #expect(await client.code() == 250)
        #expect(try server.queuedCount() == 0)
    }

    @Test func nulInTheLastBDATChunkIsRefused() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        let chunk = Array("Subject: t\r\n\r\na".utf8) + [0] + Array("b\r\n".utf8)
        try await client.send(Array("BDAT \(chunk.count) LAST\r\n".utf8) + chunk + Array("NOOP\r\n".utf8))
        #expect((await client.reply() ?? "").hasPrefix("554 5.6.0"))
        #expect(await client.code() == 250)
        #expect(try server.queuedCount() == 0)
    }

    // MARK: Content before the 354

    @Test func contentBeforeThe354IsRefusedAndDisconnected() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n" + Self.message + ".\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect((await client.reply() ?? "").hasPrefix("554 5.5.0"))
        #expect(await client.waitForClose())
        #expect(try server.queuedCount() == 0)
    }

    /// RFC 2920: the envelope and DATA in one write, the content after the 354.
    @Test func correctPipeliningIsUnaffected() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.relaySession()
        try await openData(client)
        try await client.send(Self.message + ".\r\nQUIT\r\n")
        #expect((await client.reply() ?? "").hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(await client.code() == 221)
        #expect(try server.queuedCount() == 1)
    }

    @Test func authenticatedSessionsMayPipelineContent() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.submissionSession()
        try await client.send("MAIL FROM:<taro@alato.example>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\nFrom: <taro@alato.example>\r\n\r\nhi\r\n.\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        #expect((await client.reply() ?? "").hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(try server.queuedCount() == 1)
    }

    // MARK: greet_pause

    @Test func talkingDuringTheGreetPauseIsRefused() async throws {
        var options = TestServer.Options()
        options.greetPause = .milliseconds(800)
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.relay)
        try await client.send("EHLO early.example.net\r\n")
        let reply = await client.reply() ?? ""
        #expect(reply.hasPrefix("554 5.5.0"), "got \(reply)")
        #expect(!reply.hasPrefix("220"))
        #expect(await client.waitForClose())
    }

    @Test func aPatientClientIsGreetedAfterThePause() async throws {
        var options = TestServer.Options()
        // A pause long enough that a loaded machine cannot eat the silent second before it.
        options.greetPause = .seconds(3)
        let server = try await TestServer(options)
        defer { server.stop() }
        let started = ContinuousClock.now
        let client = try await server.connect(.relay)
        #expect(await client.isSilent(for: .seconds(1)))
        #expect(await client.code(timeout: .seconds(10)) == 220)
        #expect(ContinuousClock.now - started >= .seconds(3))
        try await client.send("EHLO patient.example.net\r\n")
        #expect(await client.code() == 250)
    }

    /// Submission clients authenticate; the pause is for the port-25 service only.
    @Test func submissionIsGreetedAtOnce() async throws {
        var options = TestServer.Options()
        options.greetPause = .seconds(20)
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.submission)
        #expect(await client.code(timeout: .seconds(5)) == 220)
    }

    /// The pause is a timer: many sessions pause at the same time, none blocks another. Six
    /// sessions per event loop.
    @Test func pausesRunConcurrently() async throws {
        var options = TestServer.Options()
        options.greetPause = .seconds(2)
        let server = try await TestServer(options)
        defer { server.stop() }
        let started = ContinuousClock.now
        var clients: [TestClient] = []
        for _ in 0..<(6 * System.coreCount) { clients.append(try await server.connect(.relay)) }
        for client in clients { #expect(await client.code(timeout: .seconds(20)) == 220) }
        // Pauses that blocked their loop would take 12 s at least; the margin is for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(9))
    }
}
