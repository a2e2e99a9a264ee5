import CoreMetrics
import Instruments
import Prometheus

/// The Prometheus side of the server's metrics: the registry its instruments count into, the
/// gauges sampled when they are read, and the exposition of both with the process metrics.
public final class MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let instruments: PortcullisInstruments
    /// Run before each exposition: sets the gauges that are sampled, not kept (the queue).
    private let samplers: [@Sendable () async -> Void]

    /// A registry with the server's instruments in it, and no sampler yet.
    public convenience init() {
        let registry = PrometheusCollectorRegistry()
        self.init(registry: registry, instruments: PortcullisInstruments(factory: CatalogueMetricsFactory(registry: registry)),
                  samplers: [])
    }

    private init(registry: PrometheusCollectorRegistry, instruments: PortcullisInstruments,
                 samplers: [@Sendable () async -> Void]) {
        self.registry = registry
        self.instruments = instruments
        self.samplers = samplers
    }

    /// The same registry and instruments, with `samplers` run before each exposition too:
    /// samplers read what the instruments' users build (the spool), which exists later.
    public func sampling(_ samplers: [@Sendable () async -> Void]) -> MetricsExporter {
        MetricsExporter(registry: registry, instruments: instruments, samplers: self.samplers + samplers)
    }

    /// Every metric in the text exposition format 0.0.4.
    public func exposition() async -> [UInt8] {
        for sampler in samplers { await sampler() }
        var bytes = registry.emitToBuffer()
        if let process = ProcessMetrics.current() { bytes += Array(process.exposition.utf8) }
        return bytes
    }

    /// The content type of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
