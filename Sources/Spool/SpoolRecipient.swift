import Foundation
import SMTPCore

/// One recipient of a spooled message, with its DSN parameters and its delivery state.
///
/// The DSN fields are the RFC 3461 parameters as received (§4.1 NOTIFY, §4.2 ORCPT); the
/// delivery fields start as `pending` and are updated with ``Spool/setDeliveryState(_:of:)``.
public struct SpoolRecipient: Sendable, Hashable {
    /// The forward-path as given in RCPT TO.
    public var path: ForwardPath
    /// RFC 3461 §4.1 NOTIFY, or nil when not given.
    public var notify: DSNNotify?
    /// RFC 3461 §4.2 ORCPT (decoded), or nil.
    public var originalRecipient: OriginalRecipient?
    /// Delivery state.
    public var state: DeliveryState
    /// Delivery attempts made so far.
    public var attempts: Int
    /// When to try again (for `deferred`).
    public var nextAttempt: Date?
    /// The reply that ended the last attempt.
    public var lastReply: DeliveryReply?

    /// Creates a recipient; delivery fields default to a fresh, pending recipient.
    public init(
        path: ForwardPath, notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil,
        state: DeliveryState = .pending, attempts: Int = 0, nextAttempt: Date? = nil, lastReply: DeliveryReply? = nil
    ) {
        self.path = path
        self.notify = notify
        self.originalRecipient = originalRecipient
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastReply = lastReply
    }

    /// Creates a pending recipient for a mailbox.
    public init(_ mailbox: Mailbox, notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.init(path: .mailbox(mailbox), notify: notify, originalRecipient: originalRecipient)
    }

    /// The delivery fields only, as stored in the state file.
    public var deliveryStatus: RecipientDeliveryStatus {
        get { RecipientDeliveryStatus(state: state, attempts: attempts, nextAttempt: nextAttempt, lastReply: lastReply) }
        set {
            state = newValue.state
            attempts = newValue.attempts
            nextAttempt = newValue.nextAttempt
            lastReply = newValue.lastReply
        }
    }
}
