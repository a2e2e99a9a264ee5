/// The figures of one load run: the JSON object portbench/submission.py `run_load()` returns,
/// key for key, so portbench reads either generator's output the same way.
public struct LoadSummary: Sendable {
    public var sessions: Int
    public var messagesPerSession: Int
    public var size: Int
    public var targetRate: Double
    /// Event-loop threads here; worker processes in the Python generator.
    public var processes: Int
    public var errors: [String]
    public var setupSeconds: Double
    public var phaseSeconds: Double
    /// End-of-data latencies in seconds, sorted.
    public var latencies: [Double]
    public var clientCPUSeconds: Double

    public init(sessions: Int, messagesPerSession: Int, size: Int, targetRate: Double, processes: Int,
                errors: [String], setupSeconds: Double, phaseSeconds: Double, latencies: [Double],
                clientCPUSeconds: Double) {
        self.sessions = sessions
        self.messagesPerSession = messagesPerSession
        self.size = size
        self.targetRate = targetRate
        self.processes = processes
        self.errors = errors
        self.setupSeconds = setupSeconds
        self.phaseSeconds = phaseSeconds
        self.latencies = latencies.sorted()
        self.clientCPUSeconds = clientCPUSeconds
    }

    public var messages: Int { latencies.count }
    public var rate: Double { phaseSeconds > 0 ? Double(messages) / phaseSeconds : 0 }

    /// Nearest-rank percentile, as submission.py `percentile()`: NaN when there is no sample.
    public static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = max(1, Int((fraction * Double(sorted.count)).rounded(.up)))
        return sorted[min(rank, sorted.count) - 1]
    }

    /// The JSON object, keys in submission.py's order. NaN is written bare, as Python's json
    /// module writes and reads it (an empty run has no percentiles).
    public var json: String {
        let fields: [(String, String)] = [
            ("sessions", "\(sessions)"),
            ("messages_per_session", "\(messagesPerSession)"),
            ("size", "\(size)"),
            ("target_rate", Self.number(targetRate)),
            ("processes", "\(processes)"),
            ("messages", "\(messages)"),
            ("errors", "[" + errors.map(Self.string).joined(separator: ", ") + "]"),
            ("setup_seconds", Self.number(setupSeconds)),
            ("phase_seconds", Self.number(phaseSeconds)),
            ("rate", Self.number(rate)),
            ("p50_ms", Self.number(Self.percentile(latencies, 0.50) * 1000)),
            ("p90_ms", Self.number(Self.percentile(latencies, 0.90) * 1000)),
            ("p99_ms", Self.number(Self.percentile(latencies, 0.99) * 1000)),
            ("max_ms", Self.number((latencies.last ?? .nan) * 1000)),
            ("client_cpu_seconds", Self.number(clientCPUSeconds)),
        ]
        return "{\n" + fields.map { "  \(Self.string($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    /// RFC 8259 §7 string escaping.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
