import CoreMetrics

/// Times the spool's group commits.
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
