/// The fixed settings of one SMTP session, read once from the configuration.
public struct SessionConfiguration: Sendable, Hashable {
    /// The server's name in the greeting, EHLO reply and Received header.
    public var hostname: String
    /// The listener kind.
    public var service: ServiceKind
    /// Largest accepted message in octets, advertised as `SIZE n` (RFC 1870 §4).
    public var maxMessageSize: Int
    /// Recipients per transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.10). RFC 5321
    /// §4.5.3.1.8 asks for at least 100.
    public var maxRecipients: Int
    /// Refused commands (5xx) before the session is closed with 421 4.7.0.
    public var maxErrors: Int
    /// A certificate is configured, so STARTTLS can be offered.
    public var tlsAvailable: Bool
    /// SASL mechanisms offered after TLS on submission, in advertising order. Stored
    /// uppercased: AUTH matches mechanism names case-insensitively (RFC 4422 §3.1).
    public var authMechanisms: [String] {
        didSet { authMechanisms = authMechanisms.map { $0.uppercased() } }
    }
    /// How long to wait before the 220 greeting; a client that sends anything meanwhile is
    /// refused (`[smtp] greet_pause`, the port-25 service only). Zero: greet at once.
    public var greetPause: Duration
    /// The listener speaks the PROXY protocol, but this client is not one of the trusted
    /// proxies: a PROXY header line from it is refused and the session closed, so a
    /// misconfigured load balancer is told at once instead of having its header read as SMTP.
    public var refusesProxyHeader: Bool

    /// Creates a configuration.
    public init(hostname: String,
                service: ServiceKind,
                maxMessageSize: Int = 26_214_400,
                maxRecipients: Int = SMTPLimits.minimumRecipients,
                maxErrors: Int = 10,
                tlsAvailable: Bool,
                authMechanisms: [String] = ["PLAIN", "LOGIN"],
                greetPause: Duration = .zero,
                refusesProxyHeader: Bool = false) {
        self.hostname = hostname
        self.service = service
        self.maxMessageSize = maxMessageSize
        self.maxRecipients = maxRecipients
        self.maxErrors = maxErrors
        self.tlsAvailable = tlsAvailable
        self.authMechanisms = authMechanisms.map { $0.uppercased() }
        self.greetPause = greetPause
        self.refusesProxyHeader = refusesProxyHeader
    }
}
