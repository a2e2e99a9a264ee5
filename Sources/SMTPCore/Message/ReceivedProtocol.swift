/// The `with` keyword of a Received header: how the message arrived.
///
/// RFC 3848 §2 registers ESMTPA/ESMTPS/ESMTPSA; RFC 6531 §3.7.3 registers the UTF8SMTP
/// family for transactions that used SMTPUTF8.
public enum ReceivedProtocol: String, Sendable, Hashable {
    /// HELO session.
    case smtp = "SMTP"
    /// EHLO session.
    case esmtp = "ESMTP"
    /// EHLO, authenticated.
    case esmtpa = "ESMTPA"
    /// EHLO over TLS.
    case esmtps = "ESMTPS"
    /// EHLO over TLS, authenticated.
    case esmtpsa = "ESMTPSA"
    /// SMTPUTF8 transaction.
    case utf8smtp = "UTF8SMTP"
    /// SMTPUTF8, authenticated.
    case utf8smtpa = "UTF8SMTPA"
    /// SMTPUTF8 over TLS.
    case utf8smtps = "UTF8SMTPS"
    /// SMTPUTF8 over TLS, authenticated.
    case utf8smtpsa = "UTF8SMTPSA"

    /// Picks the keyword. A HELO session is plain `SMTP` whatever else is true: RFC 3848
    /// registers no TLS or AUTH variant of it, and SMTPUTF8 needs EHLO.
    public init(esmtp: Bool, tls: Bool, authenticated: Bool, utf8: Bool) {
        guard esmtp else {
            self = .smtp
            return
        }
        switch (utf8, tls, authenticated) {
        case (false, false, false): self = .esmtp
        case (false, false, true): self = .esmtpa
        case (false, true, false): self = .esmtps
        case (false, true, true): self = .esmtpsa
        case (true, false, false): self = .utf8smtp
        case (true, false, true): self = .utf8smtpa
        case (true, true, false): self = .utf8smtps
        case (true, true, true): self = .utf8smtpsa
        }
    }
}
