/// The settings a mail client needs for an address hosted here, derived from
/// `[client_settings]` only (never hard-coded server names).
///
/// Outgoing mail always goes to the submission service with authentication:
/// port 587 with STARTTLS (RFC 6409 §3.1, RFC 3207) or port 465 with implicit
/// TLS (RFC 8314 §3.3). Port 25 is never offered to clients.
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

    /// The incoming server, when `[client_settings]` names one.
    public struct Incoming: Sendable, Hashable, Codable {
        public var `protocol`: IncomingProtocol
        public var endpoint: Endpoint

        public init(protocol: IncomingProtocol, endpoint: Endpoint) {
            self.protocol = `protocol`
            self.endpoint = endpoint
        }
    }

    /// The recommended outgoing endpoint: submission, port 587 with STARTTLS (RFC 6409 §3.1).
    public var submission: Endpoint
    /// The implicit-TLS alternative: submissions, port 465 (RFC 8314 §7.3).
    public var submissions: Endpoint
    /// Incoming server, if configured.
    public var incoming: Incoming?

    /// Outgoing endpoints, recommended first.
    public var outgoing: [Endpoint] { [submission, submissions] }

    public init(submission: Endpoint, submissions: Endpoint, incoming: Incoming?) {
        self.submission = submission
        self.submissions = submissions
        self.incoming = incoming
    }

    /// Derives the settings from the `[client_settings]` values.
    ///
    /// `incomingProtocol` is read case-insensitively: `imap` or `pop3`
    /// (`imaps`/`pop3s` mean the same with implicit TLS). Without a port, the
    /// implicit-TLS port is assumed (993, 995; RFC 8314 §3.3 prefers implicit
    /// TLS). With a port, 993 and 995 mean implicit TLS and any other port
    /// STARTTLS. An unknown protocol or a missing host means no incoming server
    /// is shown.
    public init(submissionHost: String, submissionPort: Int, submissionsPort: Int,
                incomingHost: String?, incomingProtocol: String?, incomingPort: Int?) {
        var incoming: Incoming?
        if let host = incomingHost, !host.isEmpty {
            let name = (incomingProtocol ?? "imap").lowercased()
            let kind: IncomingProtocol? = switch name {
            case "imap", "imaps": .imap
            case "pop3", "pop3s", "pop": .pop3
            default: nil
            }
            if let kind {
                let implicitPort = kind == .imap ? 993 : 995  // RFC 8314 §7.1, §7.2
                let port = incomingPort ?? implicitPort
                let security: Security = (name.hasSuffix("s") || port == 993 || port == 995) ? .tls : .startTLS
                incoming = Incoming(protocol: kind, endpoint: Endpoint(host: host, port: port, security: security))
            }
        }
        self.init(
            submission: Endpoint(host: submissionHost, port: submissionPort, security: .startTLS),
            submissions: Endpoint(host: submissionHost, port: submissionsPort, security: .tls),
            incoming: incoming)
    }
}
