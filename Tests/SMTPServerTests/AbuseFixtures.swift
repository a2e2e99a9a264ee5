import Abuse
import AbuseTestSupport
import Foundation
import NIOCore
import SMTPCore
@testable import SMTPServer
import Spool
import TestSupport

/// An abuse scenario: its limits, how the guard reaches the store, and a test clock.
struct AbuseFixture: Sendable {
    let settings: AbuseSettings
    let kind: AbuseStoreKind
    let clock = TestClock()

    init(_ settings: AbuseSettings = smallAbuseSettings(), store kind: AbuseStoreKind = .direct) async throws {
        self.settings = settings
        self.kind = kind
    }
}

/// The test server (all three services on loopback port 0) with the fixture's limits and clock.
final class AbuseServer: @unchecked Sendable {
    let fixture: AbuseFixture
    let server: TestServer

    init(_ fixture: AbuseFixture, maxRecipients: Int = 100) async throws {
        self.fixture = fixture
        var options = TestServer.Options()
        options.maxRecipients = maxRecipients
        options.maxPerClient = 1000
        options.abuse = fixture.settings
        options.authFailureDelay = .milliseconds(1)
        options.answersFromMemory = fixture.kind == .buffered
        options.clock = fixture.clock
        server = try await TestServer(options)
    }

    func stop() {
        server.stop()
    }

    func connect(_ service: ServiceKind) async throws -> TestClient {
        try await server.connect(service)
    }

    /// The spooled messages' envelopes with their hold state.
    func queued() throws -> [(envelope: SpoolEnvelope, held: Bool, id: QueueID)] {
        try server.spool.list().map { (try server.spool.envelope(of: $0.id), $0.isHeld, $0.id) }
    }

    /// Implicit TLS, greeting, EHLO and AUTH PLAIN; returns the client and the AUTH reply.
    func login(_ user: String = "taro@alato.example", _ password: String = "right-password") async throws -> (TestClient, String) {
        let client = try await connect(.submissionImplicitTLS)
        let greeting = await client.reply() ?? ""
        guard greeting.hasPrefix("220") else { return (client, greeting) }
        try await client.send("EHLO client.example.net\r\n")
        _ = await client.reply()
        let token = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
        try await client.send("AUTH PLAIN \(token)\r\n")
        return (client, await client.reply() ?? "")
    }
}

/// A short message from taro.
func tinyMessage(_ subject: String = "hi") -> String {
    "From: <taro@alato.example>\r\nTo: <x@example.net>\r\nSubject: \(subject)\r\n\r\nHello.\r\n.\r\n"
}
