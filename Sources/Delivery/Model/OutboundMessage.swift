import SMTPCore
import Spool

/// One message to send to one destination: the envelope for the recipients routed there and
/// where its bytes are.
public struct OutboundMessage: Sendable {
    /// A recipient with its RFC 3461 parameters and its position in the spooled envelope.
    public struct Recipient: Sendable, Hashable {
        /// The mailbox that goes into `RCPT TO:<…>`.
        public var address: Mailbox
        /// RFC 3461 §4.1 NOTIFY, passed on when the server offers DSN.
        public var notify: DSNNotify?
        /// RFC 3461 §4.2 ORCPT, passed on when the server offers DSN.
        public var originalRecipient: OriginalRecipient?
        /// Index of this recipient in the spool envelope (for state updates).
        public var index: Int

        /// Creates a recipient.
        public init(address: Mailbox, notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil, index: Int) {
            self.address = address
            self.notify = notify
            self.originalRecipient = originalRecipient
            self.index = index
        }
    }

    /// The reverse-path, `<>` for bounces and notices.
    public var sender: ReversePath
    /// The recipients for this destination.
    public var recipients: [Recipient]
    /// Where the message bytes are read from (the spool), opened when they are sent.
    public var source: MessageSource
    /// Size in octets (for SIZE=, RFC 1870).
    public var size: Int
    /// RFC 6152 BODY= as received.
    public var body: BodyType?
    /// Whether the message needs SMTPUTF8 (RFC 6531): declared at submission or implied
    /// by a non-ASCII address.
    public var requiresSMTPUTF8: Bool
    /// RFC 3461 §4.3 RET.
    public var ret: DSNReturn?
    /// RFC 3461 §4.4 ENVID, decoded.
    public var envelopeID: String?

    /// Creates a message.
    public init(sender: ReversePath, recipients: [Recipient], source: MessageSource, size: Int, body: BodyType? = nil,
                requiresSMTPUTF8: Bool = false, ret: DSNReturn? = nil, envelopeID: String? = nil) {
        self.sender = sender
        self.recipients = recipients
        self.source = source
        self.size = size
        self.body = body
        self.requiresSMTPUTF8 = requiresSMTPUTF8
        self.ret = ret
        self.envelopeID = envelopeID
    }
}
