import Instruments
import MetricsEndpoint
import Prometheus
import SMTPCore
import Testing

/// The instruments counted into a Prometheus registry: each event moves exactly its series, with
/// the catalogue's help text and bounded labels.
struct InstrumentsTests {
    private func exposition(_ exporter: MetricsExporter) -> String {
        exporter.registry.emitToString()
    }

    @Test func countsEachSMTPEventOnItsServiceSeries() {
        let exporter = MetricsExporter()
        let submission = exporter.instruments.smtp[.submission]
        submission.connectionOpened()
        submission.sessionStarted()
        submission.messageAccepted()
        submission.refused(.authenticationRequired)
        submission.refused(.authenticationRequired)
        submission.refused(.mailboxUnavailable)
        submission.authenticated(.success(account: "taro@alato.example"))
        submission.authenticated(.failure)
        submission.authenticated(.failure)
        exporter.instruments.smtp[.relay].connectionOpened()
        exporter.instruments.smtp[.relay].sessionStarted()
        exporter.instruments.smtp[.relay].sessionEnded()

        let text = exposition(exporter)
        #expect(text.contains(#"portcullis_smtp_connections_total{service="submission"} 1"#))
        #expect(text.contains(#"portcullis_smtp_connections_total{service="smtp"} 1"#))
        #expect(text.contains(#"portcullis_smtp_sessions_active{service="submission"} 1"#))
        #expect(text.contains(#"portcullis_smtp_sessions_active{service="smtp"} 0"#))
        #expect(text.contains(#"portcullis_smtp_messages_accepted_total{service="submission"} 1"#))
        #expect(text.contains(#"portcullis_smtp_messages_rejected_total{service="submission",code="530"} 2"#))
        #expect(text.contains(#"portcullis_smtp_messages_rejected_total{service="submission",code="550"} 1"#))
        #expect(text.contains(#"portcullis_smtp_auth_total{service="submission",result="success"} 1"#))
        #expect(text.contains(#"portcullis_smtp_auth_total{service="submission",result="failure"} 2"#))
        #expect(text.contains(#"portcullis_smtp_auth_total{service="submission",result="temporary_failure"} 0"#))
        // Nothing but the reply code: no address, account or domain anywhere.
        #expect(!text.contains("alato.example"))
    }

    @Test func everyCatalogueMetricHasHelpAndType() {
        let exporter = MetricsExporter()
        exporter.instruments.smtp[.relay].refused(.mailboxUnavailable)
        let text = exposition(exporter)
        for metric in MetricCatalogue.all {
            #expect(text.contains("# HELP \(metric.name) \(metric.help)\n"), "\(metric.name)")
            let type: String
            switch metric.kind {
            case .counter: type = "counter"
            case .gauge: type = "gauge"
            case .histogram: type = "histogram"
            }
            #expect(text.contains("# TYPE \(metric.name) \(type)\n"), "\(metric.name)")
        }
    }

    @Test func countsAbuseDeliveryAndDSNEvents() {
        let exporter = MetricsExporter()
        let instruments = exporter.instruments
        instruments.abuse.record(.rateLimited)
        instruments.abuse.record(.accountHeld)
        instruments.abuse.record(.accountHeld)
        instruments.delivery.attempted(.smtp, .deferred)
        instruments.delivery.attempted(.maildir, .delivered)
        instruments.delivery.attemptTook(.milliseconds(30))
        instruments.delivery.dsnQueued(.failure)
        instruments.spool.commitTook(nanoseconds: 2_000_000)
        instruments.queue.record(active: 3, deferred: 2, held: 1, oldestAgeSeconds: 42)
        let text = exposition(exporter)
        #expect(text.contains(#"portcullis_abuse_events_total{kind="rate_limited"} 1"#))
        #expect(text.contains(#"portcullis_abuse_events_total{kind="account_held"} 2"#))
        #expect(text.contains(#"portcullis_abuse_events_total{kind="address_blocked"} 0"#))
        #expect(text.contains(#"portcullis_delivery_attempts_total{transport="smtp",result="deferred"} 1"#))
        #expect(text.contains(#"portcullis_delivery_attempts_total{transport="maildir",result="delivered"} 1"#))
        #expect(text.contains(#"portcullis_delivery_attempts_total{transport="lmtp",result="failed"} 0"#))
        #expect(text.contains(#"portcullis_delivery_duration_seconds_bucket{le="0.025"} 0"#))
        #expect(text.contains(#"portcullis_delivery_duration_seconds_bucket{le="0.05"} 1"#))
        #expect(text.contains(#"portcullis_delivery_duration_seconds_count 1"#))
        #expect(text.contains(#"portcullis_dsn_sent_total{kind="failure"} 1"#))
        #expect(text.contains(#"portcullis_spool_commit_duration_seconds_bucket{le="0.0025"} 1"#))
        #expect(text.contains(#"portcullis_queue_messages{state="active"} 3"#))
        #expect(text.contains(#"portcullis_queue_messages{state="held"} 1"#))
        #expect(text.contains("portcullis_queue_oldest_message_age_seconds 42"))
    }

    @Test func disabledInstrumentsCountNothingAnywhere() {
        let instruments = PortcullisInstruments.disabled
        instruments.smtp[.relay].refused(.mailboxUnavailable)
        instruments.abuse.record(.rateLimited)
        // The exporter's registry is separate: nothing counted without it.
        let exporter = MetricsExporter()
        #expect(exposition(exporter).contains(#"portcullis_abuse_events_total{kind="rate_limited"} 0"#))
    }
}
