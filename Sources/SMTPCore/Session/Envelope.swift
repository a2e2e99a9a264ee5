/// Everything the session learned about a message besides its content: what the
/// spool stores next to the message and the Received header is built from.
public struct Envelope: Sendable, Hashable {
    /// The MAIL FROM path.
    public var sender: ReversePath
    /// The MAIL FROM parameters.
    public var mailParameters: MailParameters
    /// Accepted recipients in the order given.
    public var recipients: [EnvelopeRecipient]
    /// The EHLO/HELO argument.
    public var heloName: String
    /// True when the client greeted with EHLO (the Received `with` keyword depends on it).
    public var usedESMTP: Bool
    /// The account that authenticated, if any.
    public var authenticatedAccount: String?
    /// TLS parameters when the session is encrypted.
    public var tls: TLSInfo?
    /// The listener kind.
    public var service: ServiceKind

    /// Creates an envelope.
    public init(sender: ReversePath,
                mailParameters: MailParameters = MailParameters(),
                recipients: [EnvelopeRecipient] = [],
                heloName: String,
                usedESMTP: Bool = true,
                authenticatedAccount: String? = nil,
                tls: TLSInfo? = nil,
                service: ServiceKind) {
        self.sender = sender
        self.mailParameters = mailParameters
        self.recipients = recipients
        self.heloName = heloName
        self.usedESMTP = usedESMTP
        self.authenticatedAccount = authenticatedAccount
        self.tls = tls
        self.service = service
    }

    /// The Received `with` keyword for this envelope (RFC 3848, RFC 6531 §3.7.3).
    public var receivedProtocol: ReceivedProtocol {
        ReceivedProtocol(esmtp: usedESMTP, tls: tls != nil,
                         authenticated: authenticatedAccount != nil, utf8: mailParameters.smtpUTF8)
    }
}
