/// Which listener a session belongs to; decides the TLS and AUTH rules (DESIGN.md).
public enum ServiceKind: String, Sendable, Hashable {
    /// Port 25: MX and subscriber relay (relay decisions are the policy's); AUTH after
    /// STARTTLS puts a session under the submission rules.
    case relay
    /// Port 587: STARTTLS then AUTH required before MAIL (RFC 6409).
    case submission
    /// Port 465: implicit TLS (RFC 8314 §3.3), otherwise like submission.
    case submissionImplicitTLS
    /// POP3 (RFC 1939), on port 110 with STLS or port 995 with implicit TLS: no SMTP session
    /// ever has this kind; the abuse controls see it (connections, failed logins).
    case pop3

    /// True for the two submission services, which require TLS and AUTH.
    public var isSubmission: Bool {
        switch self {
        case .submission, .submissionImplicitTLS: return true
        case .relay, .pop3: return false
        }
    }

    /// True for the services whose clients only log in (submission, POP3): an address blocked
    /// for failed logins is refused at connection. Port 25 is not, since it takes inbound mail.
    public var refusesBlockedAddresses: Bool {
        switch self {
        case .submission, .submissionImplicitTLS, .pop3: return true
        case .relay: return false
        }
    }

    /// Whether a session on this service is held to the submission rules (RFC 6409: the
    /// account must own the sender and the From: addresses, account rate limits, DKIM signing):
    /// on the submission services always, on port 25 once the client authenticated.
    public func followsSubmissionRules(authenticated: Bool) -> Bool {
        switch self {
        case .submission, .submissionImplicitTLS: return true
        case .relay: return authenticated
        case .pop3: return false
        }
    }
}
