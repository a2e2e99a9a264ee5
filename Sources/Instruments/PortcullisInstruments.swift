import CoreMetrics
import SMTPCore

/// The server's instruments, created once at start and handed to the modules that count.
///
/// Each event is counted where it is decided, through a method here that costs an atomic
/// increment on an instrument created in advance: no lookup and no allocation per event (the
/// rejection counters, one per reply code, are created the first time their code is seen).
/// Without an exporter (``disabled``) every instrument is swift-metrics' no-op handler.
public struct PortcullisInstruments: Sendable {
    public let smtp: SMTPServiceInstruments
    public let pop3: POP3Instruments
    public let abuse: AbuseInstruments
    public let queue: QueueInstruments
    public let delivery: DeliveryInstruments
    public let spool: SpoolInstruments
    public let readiness: ReadinessInstruments

    /// The instruments of `factory` (the Prometheus exporter's, in `serve`).
    public init(factory: any MetricsFactory) {
        smtp = SMTPServiceInstruments(factory: factory)
        pop3 = POP3Instruments(factory: factory)
        abuse = AbuseInstruments(factory: factory)
        queue = QueueInstruments(factory: factory)
        delivery = DeliveryInstruments(factory: factory)
        spool = SpoolInstruments(factory: factory)
        readiness = ReadinessInstruments(factory: factory)
    }

    /// Counts nothing: metrics are off.
    public static let disabled = PortcullisInstruments(factory: NOOPMetricsHandler.instance)
}

extension ServiceKind {
    /// The `service` label: the name of the service's configuration section.
    public var metricLabel: String {
        switch self {
        case .relay: return "smtp"
        case .submission: return "submission"
        case .submissionImplicitTLS: return "submissions"
        case .pop3: return "pop3"
        }
    }
}
