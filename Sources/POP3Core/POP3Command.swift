import SMTPCore

/// One POP3 command (RFC 1939 §5-§7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH).
///
/// Message numbers are the 1-based numbers of the maildrop listing (RFC 1939 §5); the
/// parser checks only their syntax, the session checks that they exist.
public enum POP3Command: Sendable, Equatable {
    /// `USER name` (RFC 1939 §7).
    case user(String)
    /// `PASS string` (RFC 1939 §7): everything after `PASS ` is the password, spaces included.
    case pass(Secret)
    /// `AUTH [mechanism [initial-response]]` (RFC 5034 §4). A bare `AUTH` asks for the
    /// mechanisms (the RFC 1734 form some clients still send).
    case auth(mechanism: String?, initialResponse: String?)
    /// `STAT` (RFC 1939 §5).
    case stat
    /// `LIST [msg]`.
    case list(Int?)
    /// `RETR msg`.
    case retr(Int)
    /// `DELE msg`.
    case dele(Int)
    /// `RSET`.
    case rset
    /// `NOOP`.
    case noop
    /// `QUIT`.
    case quit
    /// `TOP msg n` (RFC 1939 §7): the header and the first `lines` lines of the body.
    case top(Int, lines: Int)
    /// `UIDL [msg]` (RFC 1939 §7).
    case uidl(Int?)
    /// `CAPA` (RFC 2449 §5).
    case capa
    /// `STLS` (RFC 2595 §4).
    case stls
    /// `UTF8` (RFC 6856 §2): the client accepts UTF-8 in responses and messages.
    case utf8
}
