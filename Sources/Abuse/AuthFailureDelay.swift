import Synchronization

/// How long to wait before answering a failed AUTH: the base delay, doubled for every recent
/// failure from the same client (up to 16×), so password guessing from one client slows down
/// quickly while a user who mistypes once barely notices. Failures older than `window` are
/// forgotten. In-process only; the shared counters that lock accounts and addresses out are
/// ``AbuseGuard``'s.
///
/// A client is a ``ClientKey``, as for the abuse counters: an IPv6 client by its /64, so
/// taking a fresh address from its prefix for every attempt does not reset the delay.
/// The table holds at most `capacity` clients; when a new one arrives at a full table the
/// client whose last failure is oldest is forgotten (``RecencyTable``), so a flood of
/// distinct clients cannot wipe the delay of the ones being slowed down.
public final class AuthFailureDelay: Sendable {
    private let base: Duration
    private let window: Duration
    private let failures: Mutex<RecencyTable<String, [ContinuousClock.Instant]>>
    /// Failures kept per client: enough to reach the cap of the doubling.
    private static let failuresPerClient = 32

    /// - Parameters:
    ///   - base: the delay after a first failure.
    ///   - window: how long a failure counts.
    ///   - capacity: how many clients are remembered (memory stays bounded under a distributed attack).
    public init(base: Duration, window: Duration = .seconds(15 * 60), capacity: Int = 100_000) {
        self.base = base
        self.window = window
        self.failures = Mutex(RecencyTable(capacity: capacity))
    }

    /// Records a failure from the client at `client` (an address) and returns the delay
    /// before replying 535.
    public func recordFailure(client: String, now: ContinuousClock.Instant = .now) -> Duration {
        let key = ClientKey.key(for: client)
        let recent = failures.withLock { table -> Int in
            var list = (table.peek(key) ?? []).filter { now - $0 < window }
            let prior = list.count
            list.append(now)
            table.set(key, Array(list.suffix(Self.failuresPerClient)))
            return prior
        }
        return base * (1 << min(recent, 4))
    }

    /// A success clears the client's record.
    public func recordSuccess(client: String) {
        let key = ClientKey.key(for: client)
        failures.withLock { $0.remove(key) }
    }
}
