/// Which listener a session belongs to; decides the TLS and AUTH rules (DESIGN.md).
public enum ServiceKind: String, Sendable, Hashable {
    /// Port 25: MX and subscriber relay (relay decisions are the policy's); AUTH after
    /// STARTTLS puts a session under the submission rules.
    case relay
    /// Port 587: STARTTLS then AUTH required before MAIL (RFC 6409).
    case submission
    /// Port 465: implicit TLS (RFC 8314 §3.3), otherwise like submission.
    case submissionImplicitTLS

    /// True for the two submission services, which require TLS and AUTH.
    public var isSubmission: Bool { self != .relay }

    /// Whether a session on this service is held to the submission rules (RFC 6409: the
    /// account must own the sender and the From: addresses, account rate limits, DKIM signing):
    /// on the submission services always, on port 25 once the client authenticated.
    public func followsSubmissionRules(authenticated: Bool) -> Bool {
        isSubmission || authenticated
    }
}
