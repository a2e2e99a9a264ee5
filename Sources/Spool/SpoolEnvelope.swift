import Foundation

/// Everything about a spooled message except its bytes: the SMTP envelope and where it came from.
///
/// Plain strings on purpose: the spool does not depend on the protocol module's types; the
/// server maps its parsed envelope into this. Stored as JSON next to the message.
public struct SpoolEnvelope: Sendable, Hashable, Codable {
    /// The reverse-path mailbox; "" for the null sender `<>` (RFC 5321 §4.5.5, bounces).
    public var sender: String
    /// The recipients in RCPT order, with DSN parameters and delivery state.
    public var recipients: [SpoolRecipient]
    /// RFC 3461 §4.3 RET (`FULL` or `HDRS`), or nil.
    public var dsnRet: String?
    /// RFC 3461 §4.4 ENVID, or nil.
    public var envid: String?
    /// RFC 6152 BODY (`7BIT`, `8BITMIME`, `BINARYMIME`), or nil.
    public var body: String?
    /// Whether MAIL carried SMTPUTF8 (RFC 6531 §3.4).
    public var smtputf8: Bool
    /// When the message was received.
    public var arrival: Date
    /// The client's IP address as text.
    public var clientAddress: String
    /// The EHLO/HELO argument, if any.
    public var heloName: String?
    /// The SMTP AUTH identity, for submission.
    public var authenticatedAccount: String?
    /// Which listener accepted it (e.g. `submission`, `relay`).
    public var service: String
    /// The message size in octets; set by the spool at commit.
    public var size: Int

    /// Creates an envelope.
    public init(
        sender: String, recipients: [SpoolRecipient], dsnRet: String? = nil, envid: String? = nil,
        body: String? = nil, smtputf8: Bool = false, arrival: Date = Date(), clientAddress: String,
        heloName: String? = nil, authenticatedAccount: String? = nil, service: String, size: Int = 0
    ) {
        self.sender = sender
        self.recipients = recipients
        self.dsnRet = dsnRet
        self.envid = envid
        self.body = body
        self.smtputf8 = smtputf8
        self.arrival = arrival
        self.clientAddress = clientAddress
        self.heloName = heloName
        self.authenticatedAccount = authenticatedAccount
        self.service = service
        self.size = size
    }

    /// The delivery state of the message as a whole: the least advanced of its recipients
    /// (pending, then deferred, then failed, then delivered).
    public var overallState: DeliveryState {
        DeliveryState.leastAdvanced(of: recipients.map(\.state))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    /// Sets each recipient's delivery state (one entry per recipient, in order); a list of
    /// the wrong length is ignored.
    mutating func apply(_ statuses: [RecipientDeliveryStatus]) {
        guard statuses.count == recipients.count else { return }
        for index in statuses.indices { recipients[index].deliveryStatus = statuses[index] }
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
}
