import CoreMetrics

/// The POP3 instruments.
public final class POP3Instruments: Sendable {
    private let sessionsActive: Meter

    init(factory: any MetricsFactory) {
        sessionsActive = Meter(label: MetricCatalogue.pop3SessionsActive.name, dimensions: [], factory: factory)
    }

    /// A session took a connection slot.
    public func sessionStarted() { sessionsActive.increment() }

    /// The session gave its slot back.
    public func sessionEnded() { sessionsActive.decrement() }
}
