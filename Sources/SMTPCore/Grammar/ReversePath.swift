/// The argument of `MAIL FROM:` (RFC 5321 §4.1.2 `Reverse-path = Path / "<>"`).
public enum ReversePath: Sendable, Hashable, CustomStringConvertible {
    /// `<>`: the null sender, used by bounces and other notifications (RFC 5321 §4.5.5).
    case null
    /// A sender mailbox.
    case mailbox(Mailbox)

    /// The mailbox, or nil for the null sender.
    public var mailbox: Mailbox? {
        if case .mailbox(let mailbox) = self { return mailbox }
        return nil
    }

    /// True when the address requires SMTPUTF8 (RFC 6531 §3.2).
    public var needsSMTPUTF8: Bool { mailbox?.needsSMTPUTF8 ?? false }

    /// The path as written in a command, with angle brackets: `<>` or `<user@example.net>`.
    public var description: String {
        switch self {
        case .null: return "<>"
        case .mailbox(let mailbox): return "<\(mailbox.string)>"
        }
    }
}
