/// The settings a mail client needs for an address hosted here, derived from
/// `[client_settings]` only (never hard-coded server names). The user name is
/// always the full address, for every server.
///
/// Outgoing mail always goes to the submission service with authentication:
/// port 587 with STARTTLS (RFC 6409 §3.1, RFC 3207) or port 465 with implicit
/// TLS (RFC 8314 §3.3). Port 25 is never offered to clients.
///
/// Incoming mail is read over POP3, which this installation serves: port 995
/// with implicit TLS first (RFC 8314 §3.3 prefers it), port 110 with STLS
/// (RFC 2595 §4) second. IMAP appears only when the ISP runs an IMAP server
/// elsewhere and `[client_settings]` names it.
public struct MailSettings: Sendable, Hashable, Codable {
    /// How a connection is protected.
    public enum Security: String, Sendable, Hashable, Codable {
        /// Plain connection upgraded with STARTTLS (RFC 3207 for SMTP, RFC 2595 for IMAP/POP3).
        case startTLS = "STARTTLS"
        /// TLS from the first byte (RFC 8314 "implicit TLS").
        case tls = "SSL/TLS"
    }

    /// One way to reach a server.
    public struct Endpoint: Sendable, Hashable, Codable {
        public var host: String
        public var port: Int
        public var security: Security

        public init(host: String, port: Int, security: Security) {
            self.host = host
            self.port = port
            self.security = security
        }
    }

    /// The incoming (mailbox access) protocol.
    public enum IncomingProtocol: String, Sendable, Hashable, Codable {
        case imap = "IMAP"
        case pop3 = "POP3"
    }

    /// One incoming server: a protocol at an endpoint.
    public struct Incoming: Sendable, Hashable, Codable {
        public var `protocol`: IncomingProtocol
        public var endpoint: Endpoint

        public init(protocol: IncomingProtocol, endpoint: Endpoint) {
            self.protocol = `protocol`
            self.endpoint = endpoint
        }

        /// The RFC 6186 §3.2 / RFC 8314 §5.1 SRV service name: `pop3s`, `pop3`, `imaps`, `imap`.
        public var srvService: String {
            let base = `protocol` == .imap ? "imap" : "pop3"
            return endpoint.security == .tls ? base + "s" : base
        }
    }

    /// The recommended outgoing endpoint: submission, port 587 with STARTTLS (RFC 6409 §3.1).
    public var submission: Endpoint
    /// The implicit-TLS alternative: submissions, port 465 (RFC 8314 §7.3).
    public var submissions: Endpoint
    /// The recommended incoming endpoint: POP3 over implicit TLS, port 995 (RFC 8314 §7.3).
    public var pop3s: Endpoint
    /// The STLS alternative: POP3 on port 110 (RFC 1939, RFC 2595 §4).
    public var pop3: Endpoint
    /// An IMAP server run elsewhere, when `[client_settings]` names one.
    public var imap: Endpoint?

    /// Outgoing endpoints, recommended first.
    public var outgoing: [Endpoint] { [submission, submissions] }

    /// Incoming servers in the order clients should try them: POP3 with implicit
    /// TLS, POP3 with STLS, then IMAP when there is one.
    public var incoming: [Incoming] {
        [Incoming(protocol: .pop3, endpoint: pop3s), Incoming(protocol: .pop3, endpoint: pop3)]
            + (imap.map { [Incoming(protocol: .imap, endpoint: $0)] } ?? [])
    }

    /// The recommended incoming server: POP3 over implicit TLS.
    public var primaryIncoming: Incoming { Incoming(protocol: .pop3, endpoint: pop3s) }

    public init(submission: Endpoint, submissions: Endpoint, pop3s: Endpoint, pop3: Endpoint, imap: Endpoint?) {
        self.submission = submission
        self.submissions = submissions
        self.pop3s = pop3s
        self.pop3 = pop3
        self.imap = imap
    }

    /// The settings from the `[client_settings]` values: the ports name their security
    /// (`submission`/`pop3` STARTTLS, `submissions`/`pop3s` implicit TLS), IMAP says its own.
    public init(submissionHost: String, submissionPort: Int = 587, submissionsPort: Int = 465,
                pop3Host: String, pop3Port: Int = 110, pop3sPort: Int = 995, imap: Endpoint? = nil) {
        self.init(
            submission: Endpoint(host: submissionHost, port: submissionPort, security: .startTLS),
            submissions: Endpoint(host: submissionHost, port: submissionsPort, security: .tls),
            pop3s: Endpoint(host: pop3Host, port: pop3sPort, security: .tls),
            pop3: Endpoint(host: pop3Host, port: pop3Port, security: .startTLS),
            imap: imap)
    }
}
