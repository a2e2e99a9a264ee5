import LoadgenCore
import Testing

@Suite struct LoadSummaryTests {
    @Test func nearestRankPercentileAsSubmissionPy() {
        let values = (1...200).map(Double.init)
        #expect(LoadSummary.percentile(values, 0.50) == 100)
        #expect(LoadSummary.percentile(values, 0.99) == 198)
        #expect(LoadSummary.percentile([5], 0.99) == 5)
        #expect(LoadSummary.percentile([], 0.5).isNaN)
    }

    @Test func jsonHasSubmissionPyKeysInOrder() {
        let summary = LoadSummary(sessions: 2, messagesPerSession: 1, size: 4096, targetRate: 0, processes: 1,
                                  errors: ["session 1: \"quoted\"\n"], setupSeconds: 0.5, phaseSeconds: 2,
                                  latencies: [0.002, 0.001], clientCPUSeconds: 0.25)
        let json = summary.json
        let keys = json.split(separator: "\n").dropFirst().dropLast().map { $0.split(separator: "\"")[1] }
        #expect(keys == ["sessions", "messages_per_session", "size", "target_rate", "processes", "messages", "errors",
                         "setup_seconds", "phase_seconds", "rate", "p50_ms", "p90_ms", "p99_ms", "max_ms",
                         "client_cpu_seconds"])
        #expect(json.contains("\"errors\": [\"session 1: \\\"quoted\\\"\\n\"]"))
        #expect(json.contains("\"rate\": 1.0"))
        #expect(json.contains("\"p50_ms\": 1.0"))
        #expect(json.contains("\"max_ms\": 2.0"))
    }

    @Test func emptyRunWritesNaNAsPythonDoes() {
        let summary = LoadSummary(sessions: 1, messagesPerSession: 1, size: 1, targetRate: 0, processes: 1, errors: [],
                                  setupSeconds: 0, phaseSeconds: 0, latencies: [], clientCPUSeconds: 0)
        #expect(summary.json.contains("\"p99_ms\": NaN"))
        #expect(summary.json.contains("\"rate\": 0.0"))
    }
}
