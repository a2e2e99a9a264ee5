import AbuseTestSupport
import Instruments
import MetricsEndpoint
import SMTPCore
import Testing

/// The sessions count each event once, where it is decided, on the real server.
struct SessionMetricsTests {
    private func sample(_ exporter: MetricsExporter, _ series: String) -> Double? {
        let text = exporter.registry.emitToString()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }) else { return nil }
        return Double(line.dropFirst(series.count + 1))
    }

    @Test func countsConnectionsRefusalsAndAcceptedMessagesOnce() async throws {
        let exporter = MetricsExporter()
        var options = TestServer.Options()
        options.instruments = exporter.instruments
        options.maxMessageSize = 10_000
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.relaySession()
        #expect(sample(exporter, #"portcullis_smtp_sessions_active{service="smtp"}"#) == 1)
        // A recipient the directory does not know (550), then one accepted and a message queued.
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<nobody@alato.example>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 550)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        try await client.send("Subject: counted\r\n\r\nonce\r\n.\r\n")
        #expect(await client.code() == 250)
        // A message too big, refused at the end of DATA (552).
        try await client.send("MAIL FROM:<a@example.net>\r\nRCPT TO:<taro@alato.example>\r\nDATA\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 250)
        #expect(await client.code() == 354)
        try await client.send("Subject: big\r\n\r\n" + String(repeating: String(repeating: "y", count: 900) + "\r\n", count: 20) + ".\r\n")
        #expect(await client.code() == 552)
        try await client.send("QUIT\r\n")
        #expect(await client.code() == 221)
        #expect(await client.waitForClose())

        #expect(sample(exporter, #"portcullis_smtp_connections_total{service="smtp"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_messages_accepted_total{service="smtp"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_messages_rejected_total{service="smtp",code="550"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_messages_rejected_total{service="smtp",code="552"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_connections_total{service="submission"}"#) == 0)
        // The slot is given back when the server sees the close.
        var active = sample(exporter, #"portcullis_smtp_sessions_active{service="smtp"}"#)
        for _ in 0..<100 where active != 0 {
            try await Task.sleep(for: .milliseconds(20))
            active = sample(exporter, #"portcullis_smtp_sessions_active{service="smtp"}"#)
        }
        #expect(active == 0)
    }

    @Test func countsAuthVerdictsBySubmissionService() async throws {
        let exporter = MetricsExporter()
        var options = TestServer.Options()
        options.instruments = exporter.instruments
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.submissionImplicitTLS)
        #expect(await client.code() == 220)
        try await client.send("EHLO client.example.net\r\n")
        #expect(await client.code() == 250)
        // AUTH PLAIN \0taro@alato.example\0wrong-password, then the right one.
        try await client.send("AUTH PLAIN AHRhcm9AYWxhdG8uZXhhbXBsZQB3cm9uZy1wYXNzd29yZA==\r\n")
        #expect(await client.code() == 535)
        try await client.send("AUTH PLAIN AHRhcm9AYWxhdG8uZXhhbXBsZQByaWdodC1wYXNzd29yZA==\r\n")
        #expect(await client.code() == 235)
        #expect(sample(exporter, #"portcullis_smtp_auth_total{service="submissions",result="failure"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_auth_total{service="submissions",result="success"}"#) == 1)
        #expect(sample(exporter, #"portcullis_smtp_auth_total{service="submission",result="failure"}"#) == 0)
        // A failed login is not a refused transaction.
        #expect(!exporter.registry.emitToString().contains("portcullis_smtp_messages_rejected_total"))
    }

    @Test func countsAbuseDecisionsOnce() async throws {
        let exporter = MetricsExporter()
        var options = TestServer.Options()
        options.instruments = exporter.instruments
        options.abuse = smallAbuseSettings()  // 4 failed logins; 5 connections a minute
        let server = try await TestServer(options)
        defer { server.stop() }
        let client = try await server.connect(.submissionImplicitTLS)
        #expect(await client.code() == 220)
        try await client.send("EHLO client.example.net\r\n")
        #expect(await client.code() == 250)
        for _ in 1...4 {
            try await client.send("AUTH PLAIN AHRhcm9AYWxhdG8uZXhhbXBsZQB3cm9uZy1wYXNzd29yZA==\r\n")
            #expect(await client.code() == 535)
        }
        await client.close()
        // The fourth failure blocked the address and locked the name, once each.
        #expect(sample(exporter, #"portcullis_abuse_events_total{kind="address_blocked"}"#) == 1)
        #expect(sample(exporter, #"portcullis_abuse_events_total{kind="account_locked"}"#) == 1)
        #expect(sample(exporter, #"portcullis_abuse_events_total{kind="rate_limited"}"#) == 0)
        #expect(sample(exporter, #"portcullis_smtp_auth_total{service="submissions",result="failure"}"#) == 4)
    }
}
