/// A named rate counter for one subject, e.g. recipients of `account:taro@alato.example`.
public struct AbuseCounter: Sendable, Hashable {
    /// What is counted.
    public enum Name: String, Sendable, Hashable, CaseIterable {
        /// SMTP connections opened by a client address.
        case connections
        /// Messages accepted (queued) from an account or relay client.
        case messages
        /// Recipients accepted (RCPT answered 250) for an account or relay client.
        case recipients
        /// Failed AUTH attempts, per client address and per account name.
        case authFailures = "auth-failures"
    }

    /// What is counted.
    public var name: Name
    /// Whose events.
    public var subject: AbuseSubject

    /// Creates a counter identity.
    public init(_ name: Name, _ subject: AbuseSubject) {
        self.name = name
        self.subject = subject
    }
}
