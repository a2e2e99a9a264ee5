/// The argument of `RCPT TO:` (RFC 5321 §4.1.1.3).
///
/// ```
/// ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
/// ```
/// `<Postmaster@domain>` is an ordinary mailbox; only the bare form gets its own case.
public enum ForwardPath: Sendable, Hashable, CustomStringConvertible {
    /// `<Postmaster>` without a domain, matched case-insensitively: it must always be
    /// accepted for the local postmaster (RFC 5321 §4.5.1).
    case postmaster
    /// A recipient mailbox.
    case mailbox(Mailbox)

    /// The mailbox, or nil for the bare postmaster.
    public var mailbox: Mailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }

    /// True when the address requires SMTPUTF8 (RFC 6531 §3.2).
    public var needsSMTPUTF8: Bool { mailbox?.needsSMTPUTF8 ?? false }

    /// The path as written in a command, with angle brackets.
    public var description: String {
        switch self {
        case .postmaster: return "<Postmaster>"
        case .mailbox(let mailbox): return "<\(mailbox.string)>"
        }
    }
}
