/// One SMTP command, as parsed by `CommandParser` (RFC 5321 §4.1.1 and extensions).
public enum Command: Sendable, Hashable {
    /// `EHLO domain` (RFC 5321 §4.1.1.1): the client's name as given.
    case ehlo(String)
    /// `HELO domain` (RFC 5321 §4.1.1.1).
    case helo(String)
    /// `MAIL FROM:<reverse-path> [params]` (RFC 5321 §4.1.1.2).
    case mail(ReversePath, MailParameters)
    /// `RCPT TO:<forward-path> [params]` (RFC 5321 §4.1.1.3).
    case rcpt(ForwardPath, RcptParameters)
    /// `DATA` (RFC 5321 §4.1.1.4).
    case data
    /// `BDAT size [LAST]` (RFC 3030 §2).
    case bdat(size: Int, last: Bool)
    /// `RSET` (RFC 5321 §4.1.1.5).
    case rset
    /// `NOOP [string]` (RFC 5321 §4.1.1.9); the argument is ignored.
    case noop
    /// `QUIT` (RFC 5321 §4.1.1.10).
    case quit
    /// `VRFY string` (RFC 5321 §4.1.1.6).
    case vrfy(String)
    /// `EXPN string` (RFC 5321 §4.1.1.7).
    case expn(String)
    /// `HELP [string]` (RFC 5321 §4.1.1.8).
    case help(String?)
    /// `STARTTLS` (RFC 3207 §4).
    case startTLS
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4). The mechanism is uppercased;
    /// the initial response is the raw base64 text or `=` for an empty one.
    case auth(mechanism: String, initialResponse: String?)
}
