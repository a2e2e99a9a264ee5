import SMTPCore
import Spool

/// Where local mail is kept once the directory has said which mailboxes a recipient reaches:
/// Maildirs on this node's disk (``MaildirMailStore``) or an LMTP server such as Dovecot
/// (``LMTPMailStore``), which several nodes can share.
public protocol MailStore: Sendable {
    /// Stores the message once in each of `mailboxes` (account addresses as stored, distinct),
    /// with the envelope's sender as its Return-Path; returns one result per mailbox, in order.
    func store(_ source: MessageSource, envelope: SpoolEnvelope, mailboxes: [String]) async -> [RecipientResult]
}

/// Which mail store local delivery uses (`[mailbox] store`).
public enum MailStoreKind: Sendable, Hashable {
    /// Maildirs under `<data>/mailboxes`, written by this node.
    case maildir
    /// An LMTP server (RFC 2033), e.g. Dovecot's LMTP service, at this address.
    case lmtp(LMTPEndpoint)
}

/// Where an LMTP server listens.
public enum LMTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A TCP address: an IP address (no name lookup) and a port.
    case tcp(address: String, port: Int)
    /// A unix socket path.
    case unix(path: String)

    /// `127.0.0.1:24`, `[::1]:24` or `unix:/run/dovecot/lmtp`.
    public var description: String {
        switch self {
        case .tcp(let address, let port): return address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }
}
