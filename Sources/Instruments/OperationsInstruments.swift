import CoreMetrics

/// What the abuse controls decided (the `kind` label).
public enum AbuseEvent: String, Sendable, CaseIterable {
    /// A connection, sender or recipient refused for exceeding a rate limit.
    case rateLimited = "rate_limited"
    /// A client address blocked after too many failed logins.
    case addressBlocked = "address_blocked"
    /// An account name locked after too many failed logins.
    case accountLocked = "account_locked"
    /// An account held (suspended) for a sending burst.
    case accountHeld = "account_held"

    /// The index in `allCases`, without building that array per event.
    var position: Int {
        switch self {
        case .rateLimited: return 0
        case .addressBlocked: return 1
        case .accountLocked: return 2
        case .accountHeld: return 3
        }
    }
}

public final class AbuseInstruments: Sendable {
    private let counters: [Counter]

    init(factory: any MetricsFactory) {
        counters = AbuseEvent.allCases.map { event in
            Counter(label: MetricCatalogue.abuseEvents.name, dimensions: [("kind", event.rawValue)], factory: factory)
        }
    }

    public func record(_ event: AbuseEvent) {
        counters[event.position].increment()
    }
}

/// How a message reached its recipient (the `transport` label).
public enum DeliveryTransport: String, Sendable, CaseIterable {
    case smtp, lmtp, maildir

    var position: Int {
        switch self {
        case .smtp: return 0
        case .lmtp: return 1
        case .maildir: return 2
        }
    }
}

/// A recipient's delivery attempt's result (the `result` label).
public enum DeliveryAttemptResult: String, Sendable, CaseIterable {
    case delivered, deferred, failed

    var position: Int {
        switch self {
        case .delivered: return 0
        case .deferred: return 1
        case .failed: return 2
        }
    }
}

/// The kind of a delivery status notification (the `kind` label).
public enum DSNKind: String, Sendable, CaseIterable {
    /// At least one recipient failed (RFC 3464 action "failed").
    case failure
    /// Still trying (action "delayed").
    case delay
    /// Delivered, as NOTIFY=SUCCESS asked (action "delivered").
    case success

    var position: Int {
        switch self {
        case .failure: return 0
        case .delay: return 1
        case .success: return 2
        }
    }
}

public final class DeliveryInstruments: Sendable {
    /// Indexed by transport, then result.
    private let attempts: [[Counter]]
    private let duration: Timer
    private let dsns: [Counter]

    init(factory: any MetricsFactory) {
        attempts = DeliveryTransport.allCases.map { transport in
            DeliveryAttemptResult.allCases.map { result in
                Counter(label: MetricCatalogue.deliveryAttempts.name,
                        dimensions: [("transport", transport.rawValue), ("result", result.rawValue)], factory: factory)
            }
        }
        duration = Timer(label: MetricCatalogue.deliveryDuration.name, dimensions: [], factory: factory)
        dsns = DSNKind.allCases.map { kind in
            Counter(label: MetricCatalogue.dsnSent.name, dimensions: [("kind", kind.rawValue)], factory: factory)
        }
    }

    /// One recipient's attempt ended with `result`.
    public func attempted(_ transport: DeliveryTransport, _ result: DeliveryAttemptResult) {
        attempts[transport.position][result.position].increment()
    }

    /// One message's attempt took `duration`.
    public func attemptTook(_ duration: Duration) {
        self.duration.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// A DSN of `kind` was queued.
    public func dsnQueued(_ kind: DSNKind) {
        dsns[kind.position].increment()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The queue's size, sampled when the metrics are read rather than kept on every change.
public final class QueueInstruments: Sendable {
    private let active: Meter
    private let deferred: Meter
    private let held: Meter
    private let oldestAge: Meter

    init(factory: any MetricsFactory) {
        let name = MetricCatalogue.queueMessages.name
        active = Meter(label: name, dimensions: [("state", "active")], factory: factory)
        deferred = Meter(label: name, dimensions: [("state", "deferred")], factory: factory)
        held = Meter(label: name, dimensions: [("state", "held")], factory: factory)
        oldestAge = Meter(label: MetricCatalogue.queueOldestAge.name, dimensions: [], factory: factory)
    }

    /// Sets the gauges: messages by state, and the oldest one's age in seconds.
    public func record(active: Int, deferred: Int, held: Int, oldestAgeSeconds: Double) {
        self.active.set(active)
        self.deferred.set(deferred)
        self.held.set(held)
        oldestAge.set(oldestAgeSeconds)
    }
}

public final class SpoolInstruments: Sendable {
    private let commitDuration: Timer

    init(factory: any MetricsFactory) {
        commitDuration = Timer(label: MetricCatalogue.spoolCommitDuration.name, dimensions: [], factory: factory)
    }

    /// One group commit took `nanoseconds`.
    public func commitTook(nanoseconds: Int64) {
        commitDuration.recordNanoseconds(nanoseconds)
    }
}

/// Readiness as a gauge, so that an alert can fire on it without probing /readyz.
public final class ReadinessInstruments: Sendable {
    private let ready: Meter

    init(factory: any MetricsFactory) {
        ready = Meter(label: MetricCatalogue.ready.name, dimensions: [], factory: factory)
    }

    public func record(ready: Bool) {
        self.ready.set(ready ? 1 : 0)
    }
}
