import Foundation

/// An account whose submission was suspended (compromised-account hold), or
/// was and has been released.
public struct AccountSuspension: Sendable, Hashable {
    /// The account address as stored.
    public var account: String
    /// When it was suspended.
    public var since: Date
    /// Why (the burst that tripped the hold), for the operator.
    public var reason: String
    /// When an operator released it (`portcullis user release`); nil while suspended.
    public var released: Date?

    /// Creates a suspension record.
    public init(account: String, since: Date, reason: String, released: Date?) {
        self.account = account
        self.since = since
        self.reason = reason
        self.released = released
    }

    /// Whether submission is suspended now.
    public var isActive: Bool { released == nil }
}
