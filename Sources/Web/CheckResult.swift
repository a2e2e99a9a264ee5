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
                settings: MailSettings?, providerSubmission: ProviderSubmission?, exemption: Exemption? = nil) {
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
