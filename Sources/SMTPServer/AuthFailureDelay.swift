import NIOConcurrencyHelpers
import NIOCore

/// How long to wait before answering a failed AUTH: the base delay, doubled for every recent
/// failure from the same client address (up to 16×), so password guessing from one address slows
/// down quickly while a user who mistypes once barely notices. Failures older than `window` are
/// forgotten. In-process only; shared counters across server processes are issue 6's.
public final class AuthFailureDelay: Sendable {
    private let base: TimeAmount
    private let window: TimeAmount
    private let failures = NIOLockedValueBox<[String: [NIODeadline]]>([:])
    /// Keeps the table bounded under a distributed attack.
    private static let maxClients = 100_000

    public init(base: TimeAmount, window: TimeAmount = .minutes(15)) {
        self.base = base
        self.window = window
    }

    /// Records a failure from `client` and returns the delay before replying 535.
    public func recordFailure(client: String, now: NIODeadline = .now()) -> TimeAmount {
        let recent = failures.withLockedValue { table -> Int in
            if table.count >= Self.maxClients { table.removeAll(keepingCapacity: true) }
            var list = table[client, default: []].filter { now - $0 < window }
            let prior = list.count
            list.append(now)
            table[client] = list.suffix(32)
            return prior
        }
        return base * Int64(1 << min(recent, 4))
    }

    /// A success clears the client's record.
    public func recordSuccess(client: String) {
        _ = failures.withLockedValue { $0.removeValue(forKey: client) }
    }
}
