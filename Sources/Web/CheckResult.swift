/// The checker's full answer for one address and line. The HTML page and the
/// JSON API render the same value.
public struct CheckResult: Sendable, Hashable, Codable {
    /// The address as a mail client should use it (`local@A-label`).
    public var email: String
    /// The domain in A-label form.
    public var domain: String
    /// The domain as typed, when it is an internationalised name.
    public var unicodeDomain: String?
    /// Hosted here as the ISP's domain, a virtual domain, or not at all.
    public var domainKind: DomainKind
    /// The line the answer is for.
    public var line: Line
    /// Detected from the client address or chosen by the visitor.
    public var lineSource: LineDetection.Source
    /// The notice's answer.
    public var verdict: Verdict
    /// Whether the visitor must change settings to keep sending.
    public var affected: Bool
    /// This ISP's settings, for addresses hosted here (username is ``email``): the
    /// submission servers, the POP3 service and an IMAP server when configured.
    public var settings: MailSettings?
    /// The user name for SMTP AUTH: the full address. Only for hosted addresses.
    public var username: String?
    /// The provider's published submission servers, when the visitor must use them.
    public var providerSubmission: ProviderSubmission?
    /// The OP25B exemption covering the visitor's detected address, when there is one.
    public var exemption: Exemption?
    /// The visitor's own line is probably infected (JSON `lineSuspicious`); absent otherwise.
    public var lineSuspicious: Suspicion?

    /// What the port-25 block saw from the visitor's own line, when it is flagged as
    /// probably infected. Nothing here is about any other address.
    public struct Suspicion: Sendable, Hashable, Codable {
        /// Always `probably-infected`.
        public var verdict = "probably-infected"
        /// The visitor's address.
        public var clientAddress: String
        /// What was counted: the same address (IPv4) or its /64 (IPv6).
        public var subscriber: String
        /// Blocked port-25 connection attempts in the window.
        public var attempts: Int
        /// Distinct destination addresses they went to.
        public var destinations: Int
        /// First and last seen, ISO 8601 in UTC.
        public var firstSeen: String
        public var lastSeen: String
        /// The window the counts cover, hours.
        public var windowHours: Int

        public init(clientAddress: String, subscriber: String, attempts: Int, destinations: Int,
                    firstSeen: String, lastSeen: String, windowHours: Int) {
            self.clientAddress = clientAddress
            self.subscriber = subscriber
            self.attempts = attempts
            self.destinations = destinations
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
            self.windowHours = windowHours
        }
    }

    /// An OP25B exemption as the visitor is told about it. The operator's
    /// recorded reason stays internal: it may name a ticket or a contract.
    public struct Exemption: Sendable, Hashable, Codable {
        /// The visitor's address.
        public var clientAddress: String
        /// The exempt prefix containing it.
        public var prefix: String
        /// When the exemption ends, ISO 8601 in UTC; nil: no end date.
        public var until: String?

        public init(clientAddress: String, prefix: String, until: String?) {
            self.clientAddress = clientAddress
            self.prefix = prefix
            self.until = until
        }
    }

    public init(email: String, domain: String, unicodeDomain: String?, domainKind: DomainKind,
                line: Line, lineSource: LineDetection.Source, verdict: Verdict,
                settings: MailSettings?, providerSubmission: ProviderSubmission?, exemption: Exemption? = nil,
                lineSuspicious: Suspicion? = nil) {
        self.lineSuspicious = lineSuspicious
        self.email = email
        self.domain = domain
        self.unicodeDomain = unicodeDomain
        self.domainKind = domainKind
        self.line = line
        self.lineSource = lineSource
        self.verdict = verdict
        self.affected = verdict.isAffected
        self.settings = settings
        self.username = settings == nil ? nil : email
        self.providerSubmission = providerSubmission
        self.exemption = exemption
    }
}
