import CoreMetrics

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
