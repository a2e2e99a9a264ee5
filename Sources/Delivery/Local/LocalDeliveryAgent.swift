import Directory
import SMTPCore
import Spool

/// Delivers to hosted recipients: the directory says which accounts (mailboxes) and outside
/// addresses each recipient reaches, the mail store keeps the message for the mailboxes, and
/// the queue manager queues the outside ones as new remote mail.
public struct LocalDeliveryAgent: Sendable {
    /// What happened to one local recipient.
    public struct Outcome: Sendable, Hashable {
        /// The result to record for the recipient.
        public var result: RecipientResult
        /// Outside addresses the recipient's aliases lead to; to be queued with the same
        /// sender and content. Only meaningful when the result is `.delivered`.
        public var forwards: [String]
    }

    private let directory: any AccountDirectory
    private let store: any MailStore

    /// Creates an agent keeping mail in `store`.
    public init(directory: any AccountDirectory, store: any MailStore) {
        self.directory = directory
        self.store = store
    }

    /// Delivers the message to `recipients`, storing it once per distinct mailbox they reach
    /// (one LMTP transaction for all of them); returns one outcome per recipient, in order.
    ///
    /// A recipient reaching several mailboxes takes the worst of their results: failed before
    /// deferred before delivered. A retry then stores it again in the mailboxes that took it
    /// (at least once, never lost).
    public func deliver(_ source: MessageSource, envelope: SpoolEnvelope, recipients: [Mailbox]) async -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: recipients.count)
        var reached: [(index: Int, mailboxes: [String], forwards: [String])] = []
        var findings: LoopDetector.Findings?
        for (index, recipient) in recipients.enumerated() {
            let resolution: RecipientResolution
            do {
                resolution = try await directory.resolveRecipient(recipient.string)
            } catch {
                // A failing directory means 4xx, never 5xx.
                outcomes[index] = Outcome(result: RecipientResult(kind: .deferred, reply: .directoryLookupFailed("\(error)")), forwards: [])
                continue
            }
            switch resolution {
            case .notHosted, .unknownUser:
                // RFC 3463 §3.2 X.1.1: bad destination mailbox address.
                outcomes[index] = Outcome(result: RecipientResult(kind: .failed, reply: .noSuchLocalUser(recipient.string)), forwards: [])
            case .local(let mailboxes, let forwards):
                let scan = findings ?? LoopDetector.scan(source)
                findings = scan
                if let looping = mailboxes.first(where: { LoopDetector.isLooping(scan, mailbox: $0) }) {
                    outcomes[index] = Outcome(result: RecipientResult(kind: .failed, reply: .mailLoop(mailbox: looping)), forwards: [])
                } else if scan.receivedCount > LoopDetector.maximumReceivedHeaders {
                    outcomes[index] = Outcome(result: RecipientResult(kind: .failed, reply: .tooManyReceivedHeaders), forwards: [])
                } else {
                    reached.append((index, mailboxes, forwards))
                }
            }
        }
        var mailboxes: [String] = []
        for entry in reached {
            for mailbox in entry.mailboxes where !mailboxes.contains(mailbox) { mailboxes.append(mailbox) }
        }
        let stored = mailboxes.isEmpty ? [] : await store.store(source, envelope: envelope, mailboxes: mailboxes)
        let results = Dictionary(zip(mailboxes, stored), uniquingKeysWith: { first, _ in first })
        for entry in reached {
            // A mailbox the store gave no result for counts as not stored: deferred, never delivered.
            let own = entry.mailboxes.map { mailbox in
                results[mailbox] ?? RecipientResult(kind: .deferred, reply: .localDeliveryFailed(
                    mailbox: mailbox, detail: "the mail store gave no result", storageFull: false))
            }
            let worst = own.first { $0.kind == .failed } ?? own.first { $0.kind == .deferred }
            let result = worst ?? own.first ?? RecipientResult(kind: .delivered, reply: .deliveredLocally(to: "forward"))
            outcomes[entry.index] = Outcome(result: result, forwards: entry.forwards)
        }
        return outcomes.map { $0! }
    }
}
