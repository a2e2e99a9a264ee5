import AbuseTestSupport
import Foundation
import SMTPCore
import Testing

/// Sessions behind a trusted proxy (every listener with `proxyProtocol`, 127.0.0.1 trusted):
/// the connection limits and the abuse controls count the client the PROXY header names, for
/// SMTP and POP3 alike, never the proxy.
@Suite(.serialized) struct ProxyProtocolSessionTests {
    private func header(_ client: String, port: Int) -> String {
        "PROXY TCP4 \(client) 127.0.0.1 40000 \(port)\r\n"
    }

    private func server(_ configure: (inout TestServer.Options) -> Void = { _ in }) async throws -> TestServer {
        var options = TestServer.Options()
        options.proxyProtocol = true
        configure(&options)
        return try await TestServer(options)
    }

    @Test func perClientConnectionLimitCountsTheHeadersClientAcrossSMTPAndPOP3() async throws {
        let server = try await server { $0.maxPerClient = 1 }
        defer { server.stop() }
        let first = try await server.connect(.relay)
        try await first.send(header("203.0.113.9", port: server.ports[.relay]!))
        #expect(await first.code() == 220)
        // Another client behind the same proxy: its own slot.
        let other = try await server.connect(.relay)
        try await other.send(header("203.0.113.10", port: server.ports[.relay]!))
        #expect(await other.code() == 220)
        // The first client again, over POP3: over its limit.
        let pop3 = try await TestClient.connect(port: server.pop3Port)
        try await pop3.send(header("203.0.113.9", port: server.pop3Port))
        let refused = await pop3.popLine() ?? ""
        #expect(refused.hasPrefix("-ERR [SYS/TEMP]"), "got \(refused)")
        let pop3Other = try await TestClient.connect(port: server.pop3Port)
        try await pop3Other.send(header("203.0.113.11", port: server.pop3Port))
        #expect((await pop3Other.popLine() ?? "").hasPrefix("+OK"))
        for client in [first, other, pop3, pop3Other] { await client.close() }
    }

    @Test func connectionRateIsCountedPerHeaderClient() async throws {
        let fixture = try await AbuseFixture()
        let server = try await server {
            $0.abuse = fixture.settings
            $0.clock = fixture.clock
        }
        defer { server.stop() }
        let port = server.ports[.relay]!
        for _ in 1...fixture.settings.connectionsPerMinute {
            let client = try await server.connect(.relay)
            try await client.send(header("198.51.100.7", port: port))
            #expect(await client.code() == 220)
            await client.close()
        }
        let refused = try await server.connect(.relay)
        try await refused.send(header("198.51.100.7", port: port))
        let reply = await refused.reply() ?? ""
        #expect(reply.hasPrefix("421 4.7.0 "), "got \(reply)")
        let other = try await server.connect(.relay)
        try await other.send(header("198.51.100.8", port: port))
        #expect(await other.code() == 220)
        await other.close()
    }

    @Test func relayDecisionFollowsTheHeader() async throws {
        let server = try await server { $0.accessNetworks = ["192.0.2.0/24"] }
        defer { server.stop() }
        let port = server.ports[.relay]!
        for (client, expected) in [("192.0.2.7", 250), ("198.51.100.7", 554)] {
            let session = try await server.connect(.relay)
            try await session.send(header(client, port: port)
                                   + "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n")
            #expect(await session.code() == 220)
            #expect(await session.code() == 250)
            #expect(await session.code() == 250)
            #expect(await session.code() == expected, "RCPT from \(client)")
            await session.close()
        }
    }

    @Test func noHeaderNoGreeting() async throws {
        let server = try await server()
        defer { server.stop() }
        let smtp = try await server.connect(.relay)
        #expect(await smtp.isSilent(for: .milliseconds(500)))
        #expect(await smtp.waitForClose(timeout: .seconds(10)), "closed at the 5 s header deadline")
        let pop3 = try await TestClient.connect(port: server.pop3Port)
        #expect(await pop3.isSilent(for: .milliseconds(500)))
        #expect(await pop3.waitForClose(timeout: .seconds(10)), "closed at the 5 s header deadline")
    }
}
