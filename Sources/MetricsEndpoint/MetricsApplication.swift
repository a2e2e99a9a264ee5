import Hummingbird
import Logging
import NIOCore
import Web

/// The `[metrics] listen` application: `GET /metrics` (the Prometheus text format),
/// `GET /healthz` (the process answers) and `GET /readyz`, the same check and answer as the web
/// listener's (``ReadinessReport``: 200 ready, 503 not, the JSON document either way). For
/// Prometheus and load balancers on the operator's network: nothing here is for customers.
/// `onListening` runs once the port is bound.
public func buildMetricsApplication(exporter: MetricsExporter, readiness: @escaping ReadinessCheck,
                                    host: String, port: Int, logger: Logger,
                                    onListening: @escaping @Sendable () async -> Void = {}) -> some ApplicationProtocol {
    Application(
        router: buildMetricsRouter(exporter: exporter, readiness: readiness),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
        onServerRunning: { _ in await onListening() },
        logger: logger)
}

/// The router of ``buildMetricsApplication(exporter:readiness:host:port:logger:onListening:)``.
public func buildMetricsRouter(exporter: MetricsExporter,
                               readiness: @escaping ReadinessCheck) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.get("/metrics") { _, _ in
        let bytes = await exporter.exposition()
        return Response(status: .ok, headers: [.contentType: MetricsExporter.contentType],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
    router.get("/healthz") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
    }
    router.get("/readyz") { _, _ in Responses.readiness(await readiness()) }
    return router
}
