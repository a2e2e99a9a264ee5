import Foundation

/// What `/readyz` answers: each part the server needs to take mail, and what is wrong with the
/// parts that are not working. A load balancer or orchestrator sends new clients elsewhere while
/// it is not ready (503); `/healthz` only says the process is alive.
public struct ReadinessReport: Sendable, Equatable {
    /// Part name → nil when it works, else what is wrong (e.g. "no answer within 2 seconds").
    public var problems: [String: String] = [:]
    /// Every part checked, in order.
    public var parts: [String] = []

    public init() {}

    /// Records one part's result.
    public mutating func record(_ part: String, problem: String?) {
        parts.append(part)
        if let problem { problems[part] = problem }
    }

    public var isReady: Bool { problems.isEmpty }

    /// The same checks with every problem told only as "failing": for a listener anyone can
    /// reach (the customer web), where a database URL or a spool path is nobody's business.
    public var redacted: ReadinessReport {
        var report = self
        report.problems = problems.mapValues { _ in "failing" }
        return report
    }

    /// 200 when ready, 503 when not.
    public var httpStatus: Int { isReady ? 200 : 503 }

    /// `{"checks":{"directory":"no answer within 2 seconds","listeners":"ok","spool":"ok"},"ready":false}`
    public var json: String {
        struct Body: Encodable {
            var ready: Bool
            var checks: [String: String]
        }
        let body = Body(ready: isReady, checks: Dictionary(uniqueKeysWithValues: parts.map { ($0, problems[$0] ?? "ok") }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{\"ready\":false}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Runs the server's readiness checks (`portcullis serve` provides them).
public typealias ReadinessCheck = @Sendable () async -> ReadinessReport
