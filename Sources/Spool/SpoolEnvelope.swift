import Foundation
import SMTPCore

/// Everything about a spooled message except its bytes: the SMTP envelope as the protocol
/// module parsed it, and where the message came from.
///
/// Stored next to the message in a versioned encoding (`SpoolEnvelope+Coding.swift`) that
/// also reads the envelopes of earlier versions.
public struct SpoolEnvelope: Sendable, Hashable {
    /// The reverse-path; `.null` for `<>` (RFC 5321 §4.5.5, bounces and notices).
    public var sender: ReversePath
    /// The recipients in RCPT order, with DSN parameters and delivery state.
    public var recipients: [SpoolRecipient]
    /// RFC 3461 §4.3 RET, or nil.
    public var ret: DSNReturn?
    /// RFC 3461 §4.4 ENVID (xtext decoded), or nil.
    public var envelopeID: String?
    /// RFC 6152 BODY, or nil.
    public var body: BodyType?
    /// Whether MAIL carried SMTPUTF8 (RFC 6531 §3.4).
    public var smtputf8: Bool
    /// When the message was received.
    public var arrival: Date
    /// The client's IP address as text ("127.0.0.1" for mail made here).
    public var clientAddress: String
    /// The EHLO/HELO argument, if any.
    public var heloName: String?
    /// The SMTP AUTH identity, for submission.
    public var authenticatedAccount: String?
    /// Which listener accepted it, or which kind of mail made here it is.
    public var origin: MessageOrigin
    /// The message size in octets; set by the spool at commit.
    public var size: Int

    /// Creates an envelope.
    public init(
        sender: ReversePath, recipients: [SpoolRecipient], ret: DSNReturn? = nil, envelopeID: String? = nil,
        body: BodyType? = nil, smtputf8: Bool = false, arrival: Date = Date(), clientAddress: String,
        heloName: String? = nil, authenticatedAccount: String? = nil, origin: MessageOrigin, size: Int = 0
    ) {
        self.sender = sender
        self.recipients = recipients
        self.ret = ret
        self.envelopeID = envelopeID
        self.body = body
        self.smtputf8 = smtputf8
        self.arrival = arrival
        self.clientAddress = clientAddress
        self.heloName = heloName
        self.authenticatedAccount = authenticatedAccount
        self.origin = origin
        self.size = size
    }

    /// The delivery state of the message as a whole: the least advanced of its recipients
    /// (pending, then deferred, then failed, then delivered).
    public var overallState: DeliveryState {
        DeliveryState.leastAdvanced(of: recipients.map(\.state))
    }

    /// Sets each recipient's delivery state (one entry per recipient, in order); a list of
    /// the wrong length is ignored.
    mutating func apply(_ statuses: [RecipientDeliveryStatus]) {
        guard statuses.count == recipients.count else { return }
        for index in statuses.indices { recipients[index].deliveryStatus = statuses[index] }
    }
}
