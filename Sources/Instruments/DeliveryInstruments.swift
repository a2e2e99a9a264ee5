import CoreMetrics

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

/// Counts delivery attempts and DSNs, and times each message's attempt.
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
