/// Which listener a session belongs to; decides the TLS and AUTH rules (DESIGN.md).
public enum ServiceKind: String, Sendable, Hashable {
    /// Port 25: MX and subscriber relay, no AUTH (relay decisions are the policy's).
    case relay
    /// Port 587: STARTTLS then AUTH required before MAIL (RFC 6409).
    case submission
    /// Port 465: implicit TLS (RFC 8314 §3.3), otherwise like submission.
    case submissionImplicitTLS

    /// True for the two submission services, which require TLS and AUTH.
    public var isSubmission: Bool { self != .relay }
}
