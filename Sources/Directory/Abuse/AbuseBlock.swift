import Foundation

/// A temporary refusal: a client address blocked after too many failed logins, or an account
/// locked for the same reason.
public struct AbuseBlock: Sendable, Hashable {
    /// Who is blocked.
    public var subject: AbuseSubject
    /// When the block ends by itself.
    public var until: Date
    /// Why, for `portcullis security status`.
    public var reason: String
    /// When it was set.
    public var created: Date

    /// Creates a block record.
    public init(subject: AbuseSubject, until: Date, reason: String, created: Date) {
        self.subject = subject
        self.until = until
        self.reason = reason
        self.created = created
    }
}
