import BlockingWork
import Directory
import Foundation
import MaildirStore
import SMTPCore
import Spool

/// Delivers to hosted recipients: Maildirs for accounts, forwarding for aliases that
/// point outside (the queue manager queues those as new remote mail).
public struct LocalDeliveryAgent: Sendable {
    /// What happened to one local recipient.
    public struct Outcome: Sendable, Hashable {
        /// The result to record for the recipient.
        public var result: RecipientResult
        /// Outside addresses the recipient's aliases lead to; to be queued with the same
        /// sender and content. Only meaningful when the result is `.delivered`.
        public var forwards: [String]
    }

    /// `<data>/mailboxes`.
    public let mailboxRoot: String
    /// Our host name (Maildir names, replies).
    public let hostname: String
    private let directory: any AccountDirectory

    /// Creates an agent writing under `mailboxRoot`.
    public init(directory: any AccountDirectory, mailboxRoot: String, hostname: String) {
        self.directory = directory
        self.mailboxRoot = mailboxRoot
        self.hostname = hostname
    }

    /// Delivers the message to `recipient`, with `sender` as Return-Path.
    public func deliver(_ source: MessageSource, sender: ReversePath, recipient: Mailbox) async -> Outcome {
        let resolution: RecipientResolution
        do {
            resolution = try await directory.resolveRecipient(recipient.string)
        } catch {
            // A failing directory means 4xx, never 5xx.
            return Outcome(result: RecipientResult(kind: .deferred, reply: .directoryLookupFailed("\(error)")), forwards: [])
        }
        switch resolution {
        case .notHosted, .unknownUser:
            // RFC 3463 §3.2 X.1.1: bad destination mailbox address.
            return Outcome(result: RecipientResult(kind: .failed, reply: .noSuchLocalUser(recipient.string)), forwards: [])
        case .local(let mailboxes, let forwards):
            let findings = LoopDetector.scan(source)
            for mailbox in mailboxes {
                if LoopDetector.isLooping(findings, mailbox: mailbox) {
                    return Outcome(result: RecipientResult(kind: .failed, reply: .mailLoop(mailbox: mailbox)), forwards: [])
                }
            }
            if findings.receivedCount > LoopDetector.maximumReceivedHeaders {
                return Outcome(result: RecipientResult(kind: .failed, reply: .tooManyReceivedHeaders), forwards: [])
            }
            for mailbox in mailboxes {
                guard let path = Maildir.path(root: mailboxRoot, account: mailbox) else { continue }
                let maildir = Maildir(path: path, hostname: hostname)
                let headers = ["Return-Path: \(sender)", "Delivered-To: \(mailbox)"]
                do {
                    try await Self.offload { try maildir.deliver(from: source, headerLines: headers) }
                } catch {
                    // Never a bounce: the operator can fix a disk.
                    let full = (error as? MaildirError)?.isStorageFull == true
                    return Outcome(result: RecipientResult(kind: .deferred, reply: .localDeliveryFailed(
                        mailbox: mailbox, detail: "\(error)", storageFull: full)), forwards: [])
                }
            }
            return Outcome(result: RecipientResult(kind: .delivered, reply: .deliveredLocally(
                to: mailboxes.isEmpty ? "forward" : "maildir")),
                           forwards: forwards)
        }
    }

    // fsync-heavy work stays off the cooperative pool.
    private static func offload(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await BlockingWorkPool.shared.run(work)
    }
}
