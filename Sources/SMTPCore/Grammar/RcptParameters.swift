/// The ESMTP parameters of RCPT TO (RFC 5321 §4.1.2 `Rcpt-parameters`): the DSN
/// parameters of RFC 3461 §4.
public struct RcptParameters: Sendable, Hashable {
    /// `NOTIFY=` (RFC 3461 §4.1).
    public var notify: DSNNotify?
    /// `ORCPT=` (RFC 3461 §4.2).
    public var originalRecipient: OriginalRecipient?

    /// Creates parameters; all default to absent.
    public init(notify: DSNNotify? = nil, originalRecipient: OriginalRecipient? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }

    /// True when no parameter was given.
    public var isEmpty: Bool { notify == nil && originalRecipient == nil }
}
