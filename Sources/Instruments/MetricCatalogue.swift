/// Every metric the server exports: its name, what it counts (the exposition's HELP line), its
/// type and, for histograms, its buckets. The instruments are created from these names, and the
/// exporter takes the help text and the buckets from here: one description per metric.
///
/// Labels are bounded by construction: each takes its values from an enum of the instruments
/// (service, result, kind, state, transport) or is a 4xx/5xx reply code, never an address, an
/// account or a domain.
public enum MetricCatalogue {
    public enum Kind: Sendable, Hashable {
        case counter
        case gauge
        /// Seconds, observed through a swift-metrics `Timer`; bucket upper bounds in seconds.
        case histogram(buckets: [Double])
    }

    public struct Description: Sendable, Hashable {
        public let name: String
        public let help: String
        public let kind: Kind
    }

    public static let smtpConnections = Description(
        name: "portcullis_smtp_connections_total",
        help: "SMTP connections accepted on each service's listeners, including those refused at once.",
        kind: .counter)
    public static let smtpSessionsActive = Description(
        name: "portcullis_smtp_sessions_active",
        help: "SMTP sessions open now (holding a connection slot).", kind: .gauge)
    public static let smtpMessagesAccepted = Description(
        name: "portcullis_smtp_messages_accepted_total",
        help: "Messages committed to the spool and acknowledged with 250.", kind: .counter)
    public static let smtpMessagesRejected = Description(
        name: "portcullis_smtp_messages_rejected_total",
        help: "Senders, recipients and messages refused by their checks (MAIL, RCPT, end of DATA, commit), by reply code.",
        kind: .counter)
    public static let smtpAuth = Description(
        name: "portcullis_smtp_auth_total",
        help: "SMTP AUTH attempts that reached a verdict, by result.", kind: .counter)
    public static let pop3SessionsActive = Description(
        name: "portcullis_pop3_sessions_active",
        help: "POP3 sessions open now (holding a connection slot).", kind: .gauge)
    public static let abuseEvents = Description(
        name: "portcullis_abuse_events_total",
        help: "Abuse-control decisions: limits enforced, addresses blocked, accounts locked or held.",
        kind: .counter)
    public static let queueMessages = Description(
        name: "portcullis_queue_messages",
        help: "Messages in the queue, by state (sampled at each scrape).", kind: .gauge)
    public static let queueOldestAge = Description(
        name: "portcullis_queue_oldest_message_age_seconds",
        help: "Age of the oldest message still queued for delivery (0 when the queue is empty).",
        kind: .gauge)
    public static let deliveryAttempts = Description(
        name: "portcullis_delivery_attempts_total",
        help: "Recipient delivery attempts, by transport and result.", kind: .counter)
    public static let deliveryDuration = Description(
        name: "portcullis_delivery_duration_seconds",
        help: "Time one delivery attempt of one message took (connection setup included for the first message on an SMTP or LMTP connection).",
        kind: .histogram(buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]))
    public static let dsnSent = Description(
        name: "portcullis_dsn_sent_total",
        help: "Delivery status notifications queued to senders, by kind.", kind: .counter)
    public static let spoolCommitDuration = Description(
        name: "portcullis_spool_commit_duration_seconds",
        help: "Time one group commit took: appending the batch to the journal and its fdatasync.",
        kind: .histogram(buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]))

    public static let ready = Description(
        name: "portcullis_ready",
        help: "1 when the server is ready to take mail (as GET /readyz answers), else 0; sampled at each scrape.",
        kind: .gauge)

    public static let all: [Description] = [
        smtpConnections, smtpSessionsActive, smtpMessagesAccepted, smtpMessagesRejected, smtpAuth,
        pop3SessionsActive, abuseEvents, queueMessages, queueOldestAge, deliveryAttempts, deliveryDuration,
        dsnSent, spoolCommitDuration, ready,
    ]

    private static let byName: [String: Description] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The description of `name`, or nil for a name not in the catalogue.
    public static func description(of name: String) -> Description? { byName[name] }
}
