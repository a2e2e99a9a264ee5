import Instruments
import MetricsEndpoint
import Testing

/// Each recipient's attempt is counted once by transport and result, each message's attempt
/// timed once, each DSN counted by kind: a refused remote recipient and the bounce that follows.
struct DeliveryMetricsTests {
    private func sample(_ exporter: MetricsExporter, _ series: String) -> Double? {
        let text = exporter.registry.emitToString()
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(series + " ") }) else { return nil }
        return Double(line.dropFirst(series.count + 1))
    }

    @Test func aRefusedRecipientIsOneFailedAttemptAndOneFailureDSN() async throws {
        let exporter = MetricsExporter()
        let sink = try await SmtpSink.start(options: ["-f", "RCPT"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"],
                                             instruments: exporter.instruments.delivery)
        try await fixture.submit(from: "taro@alato.example", to: ["nobody@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()   // 550 from the sink: failed, the DSN is queued
        await fixture.manager.processQueue()   // the DSN is delivered to taro's Maildir
        #expect(fixture.maildirMessages("taro@alato.example").count == 1)
        #expect(sample(exporter, #"portcullis_delivery_attempts_total{transport="smtp",result="failed"}"#) == 1)
        #expect(sample(exporter, #"portcullis_delivery_attempts_total{transport="smtp",result="delivered"}"#) == 0)
        #expect(sample(exporter, #"portcullis_delivery_attempts_total{transport="maildir",result="delivered"}"#) == 1)
        #expect(sample(exporter, #"portcullis_dsn_sent_total{kind="failure"}"#) == 1)
        #expect(sample(exporter, #"portcullis_dsn_sent_total{kind="delay"}"#) == 0)
        #expect(sample(exporter, "portcullis_delivery_duration_seconds_count") == 2)
    }
}
