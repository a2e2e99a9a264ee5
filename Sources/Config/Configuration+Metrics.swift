extension Configuration {
    /// `[metrics]`: the Prometheus endpoint (`/metrics`, `/healthz`, `/readyz`), for the
    /// operator's network only. Off when `listen` is absent or empty.
    public struct MetricsSettings: Sendable, Equatable {
        public var listen: [ListenAddress] = []

        public init() {}
    }
}

extension Reader {
    func metricsSettings() throws -> Configuration.MetricsSettings {
        var settings = Configuration.MetricsSettings()
        settings.listen = try listen("listen") ?? []
        return settings
    }
}
