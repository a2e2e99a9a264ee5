import Hummingbird
import HummingbirdTesting
import Instruments
import MetricsEndpoint
import Testing
import Web

struct MetricsRouterTests {
    @Test func servesTheExpositionWithItsContentType() async throws {
        let exporter = MetricsExporter()
        exporter.instruments.smtp[.relay].messageAccepted()
        let sampled = exporter.sampling([{ exporter.instruments.queue.record(active: 7, deferred: 0, held: 0, oldestAgeSeconds: 1) }])
        let app = Application(router: buildMetricsRouter(exporter: sampled, readiness: { ReadinessReport() }))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(text.contains(#"portcullis_smtp_messages_accepted_total{service="smtp"} 1"#))
                // Sampled at the scrape.
                #expect(text.contains(#"portcullis_queue_messages{state="active"} 7"#))
                #expect(text.contains("process_resident_memory_bytes "))
            }
        }
    }

    @Test(arguments: [true, false])
    func answersReadinessWithTheReport(ready: Bool) async throws {
        var checked = ReadinessReport()
        checked.record("listeners", problem: nil)
        checked.record("spool", problem: ready ? nil : "less than [spool] min_free_space free")
        let report = checked
        let app = Application(router: buildMetricsRouter(exporter: MetricsExporter(), readiness: { report }))
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == (ready ? .ok : .serviceUnavailable))
                #expect(String(buffer: response.body) == report.json)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
