import BlockingWork
import MaildirStore
import SMTPCore
import Spool

/// Local mail in Maildirs under `<data>/mailboxes/DOMAIN/LOCALPART/Maildir`, each message
/// fsync'd into `new/` before its result says delivered.
public struct MaildirMailStore: MailStore {
    /// `<data>/mailboxes`.
    public let root: String
    /// Our host name (Maildir unique names).
    public let hostname: String

    /// Creates a store writing under `root`.
    public init(root: String, hostname: String) {
        self.root = root
        self.hostname = hostname
    }

    public func store(_ source: MessageSource, envelope: SpoolEnvelope, mailboxes: [String]) async -> [RecipientResult] {
        var results: [RecipientResult] = []
        for mailbox in mailboxes {
            results.append(await store(source, sender: envelope.sender, mailbox: mailbox))
        }
        return results
    }

    private func store(_ source: MessageSource, sender: ReversePath, mailbox: String) async -> RecipientResult {
        guard let path = Maildir.path(root: root, account: mailbox) else {
            return RecipientResult(kind: .failed, reply: .noSuchLocalUser(mailbox))
        }
        let maildir = Maildir(path: path, hostname: hostname)
        let headers = ["Return-Path: \(sender)", "Delivered-To: \(mailbox)"]
        do {
            // fsync-heavy work stays off the cooperative pool.
            try await BlockingWorkPool.shared.run { try maildir.deliver(from: source, headerLines: headers) }
            return RecipientResult(kind: .delivered, reply: .deliveredLocally(to: "maildir"))
        } catch {
            // Never a bounce: the operator can fix a disk.
            let full = (error as? MaildirError)?.isStorageFull == true
            return RecipientResult(kind: .deferred, reply: .localDeliveryFailed(
                mailbox: mailbox, detail: "\(error)", storageFull: full))
        }
    }
}
