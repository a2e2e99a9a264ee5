/// Turns successive cumulative counter readings into new attempts per subscriber and destination.
///
/// nftables counters only grow while an element lives; an element that timed out and came
/// back starts from zero again. The first reading after start only sets the baseline: what
/// it holds may already have been counted before a restart, and counting it twice could
/// flag a line that is not infected. Missing a few minutes is the safer error.
public struct OP25BAttemptTracker: Sendable {
    /// New attempts of one subscriber to one destination since the previous reading.
    public struct Delta: Hashable, Sendable {
        public let subscriber: OP25BSubscriber
        public let destination: IPAddress
        public let attempts: Int

        public init(subscriber: OP25BSubscriber, destination: IPAddress, attempts: Int) {
            self.subscriber = subscriber
            self.destination = destination
            self.attempts = attempts
        }
    }

    private struct Pair: Hashable {
        let source: IPAddress
        let destination: IPAddress
    }

    private enum State {
        case awaitingBaseline
        case tracking([Pair: Int])
    }

    private var state = State.awaitingBaseline

    public init() {}

    /// Whether a baseline has been taken.
    public var hasBaseline: Bool {
        if case .tracking = state { return true }
        return false
    }

    /// The attempts since the previous reading, merged per subscriber and destination and
    /// sorted; empty for the first reading (the baseline).
    public mutating func record(_ readings: [OP25BAttemptReading]) -> [Delta] {
        var current: [Pair: Int] = [:]
        for reading in readings {
            current[Pair(source: reading.source, destination: reading.destination), default: 0] += reading.packets
        }
        defer { state = .tracking(current) }
        guard case .tracking(let previous) = state else { return [] }

        var merged: [OP25BSubscriber: [IPAddress: Int]] = [:]
        for (pair, packets) in current {
            let before = previous[pair] ?? 0
            // Lower than before: the element expired and was created again since the last reading.
            let new = packets >= before ? packets - before : packets
            guard new > 0 else { continue }
            merged[OP25BSubscriber(address: pair.source), default: [:]][pair.destination.unmappingIPv4, default: 0] += new
        }
        return merged.flatMap { subscriber, destinations in
            destinations.map { Delta(subscriber: subscriber, destination: $0.key, attempts: $0.value) }
        }.sorted { ($0.subscriber, $0.destination) < ($1.subscriber, $1.destination) }
    }
}
