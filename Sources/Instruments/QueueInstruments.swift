import CoreMetrics

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
