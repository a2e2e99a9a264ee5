import Foundation

/// One recipient of a spooled message, with its DSN parameters and its delivery state.
///
/// The DSN fields are the RFC 3461 parameters as received (§4.1 NOTIFY, §4.2 ORCPT); the
/// delivery fields start as `pending` and are updated with ``Spool/setDeliveryState(_:of:)``.
public struct SpoolRecipient: Sendable, Hashable, Codable {
    /// The forward-path mailbox, e.g. `taro@alato.example`.
    public var address: String
    /// NOTIFY keywords (`NEVER`, `SUCCESS`, `FAILURE`, `DELAY`), or nil when not given.
    public var notify: [String]?
    /// ORCPT as `addr-type;xtext-address`, or nil.
    public var orcpt: String?
    /// Delivery state.
    public var state: DeliveryState
    /// Delivery attempts made so far.
    public var attempts: Int
    /// When to try again (for `deferred`).
    public var nextAttempt: Date?
    /// The last error, e.g. the remote server's reply, for `deferred` and `failed`.
    public var lastError: String?

    /// Creates a recipient; delivery fields default to a fresh, pending recipient.
    public init(
        address: String, notify: [String]? = nil, orcpt: String? = nil,
        state: DeliveryState = .pending, attempts: Int = 0, nextAttempt: Date? = nil, lastError: String? = nil
    ) {
        self.address = address
        self.notify = notify
        self.orcpt = orcpt
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastError = lastError
    }

    /// The delivery fields only, as stored in the state file.
    public var deliveryStatus: RecipientDeliveryStatus {
        get { RecipientDeliveryStatus(state: state, attempts: attempts, nextAttempt: nextAttempt, lastError: lastError) }
        set {
            state = newValue.state
            attempts = newValue.attempts
            nextAttempt = newValue.nextAttempt
            lastError = newValue.lastError
        }
    }
}
