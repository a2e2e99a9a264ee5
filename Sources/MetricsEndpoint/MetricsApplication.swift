import Hummingbird
import Logging
import NIOCore

/// The answer of a readiness check: whether the server can take mail, and the JSON document
/// naming what is not ready.
public struct ReadinessAnswer: Sendable {
    public var ready: Bool
    public var json: String

    public init(ready: Bool, json: String) {
        self.ready = ready
        self.json = json
    }
}

/// The `[metrics] listen` application: `GET /metrics` (the Prometheus text format),
/// `GET /healthz` (the process answers) and `GET /readyz` (200 ready, 503 not, with the
/// readiness document either way). For Prometheus and the load balancer on a private network:
/// nothing here is for customers.
public func buildMetricsApplication(exporter: MetricsExporter, readiness: @escaping @Sendable () async -> ReadinessAnswer,
                                    host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildMetricsRouter(exporter: exporter, readiness: readiness),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
        logger: logger)
}

/// The router of ``buildMetricsApplication(exporter:readiness:host:port:logger:)``.
public func buildMetricsRouter(exporter: MetricsExporter,
                               readiness: @escaping @Sendable () async -> ReadinessAnswer) -> Router<BasicRequestContext> {
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
    router.get("/readyz") { _, _ in
        let answer = await readiness()
        return Response(status: answer.ready ? .ok : .serviceUnavailable,
                        headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: answer.json)))
    }
    return router
}
