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

/// Counts the abuse controls' decisions (``AbuseEvent``).
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
