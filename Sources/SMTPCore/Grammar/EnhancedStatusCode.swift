/// An enhanced mail system status code, `class.subject.detail` (RFC 3463 §2).
///
/// Sent in front of every line of a reply once the server advertised
/// `ENHANCEDSTATUSCODES` (RFC 2034 §3), e.g. `250-2.1.0 Sender ok`.
public struct EnhancedStatusCode: Sendable, Hashable, CustomStringConvertible {
    /// 2 = success, 4 = persistent transient failure, 5 = permanent failure (RFC 3463 §3.1).
    public var statusClass: Int
    /// The subject: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network/routing,
    /// 5 mail delivery protocol, 6 message content, 7 security or policy (RFC 3463 §3.2).
    public var subject: Int
    /// The detail within the subject (RFC 3463 §3.3 and later registrations).
    public var detail: Int

    /// Creates a code from its three numeric parts.
    public init(_ statusClass: Int, _ subject: Int, _ detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// `class.subject.detail`, the form written in replies and DSNs.
    public var description: String { "\(statusClass).\(subject).\(detail)" }
}
