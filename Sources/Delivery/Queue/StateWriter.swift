import Foundation
import SMTPCore
import Spool

/// Applies delivery results to the spool's per-recipient state, one message at a time.
///
/// An actor, and the blocking, fsync'd write is done inside it on purpose: two results for
/// the same message (two destinations finishing together) must not both read the old state
/// and overwrite each other.
actor StateWriter {
    private let spool: Spool
    private let settings: DeliverySettings

    init(spool: Spool, settings: DeliverySettings) {
        self.spool = spool
        self.settings = settings
    }

    /// Records `results` (recipient index, result) for message `id` and returns the new envelope.
    func apply(_ results: [(Int, RecipientResult)], to id: QueueID, now: Date, countAttempt: Bool) throws -> SpoolEnvelope {
        var envelope = try spool.envelope(of: id)
        for (index, result) in results where envelope.recipients.indices.contains(index) {
            var recipient = envelope.recipients[index]
            // A recipient already final stays final: never send it again.
            guard recipient.state == .pending || recipient.state == .deferred else { continue }
            if countAttempt { recipient.attempts += 1 }
            recipient.lastReply = result.deliveryReply
            switch result.kind {
            case .delivered:
                recipient.state = .delivered
                recipient.nextAttempt = nil
            case .failed:
                recipient.state = .failed
                recipient.nextAttempt = nil
            case .deferred:
                let next = now.addingTimeInterval(settings.retry.delay(afterAttempts: max(1, recipient.attempts)))
                if next.timeIntervalSince(envelope.arrival) > settings.maximumQueueLifetime,
                   now.timeIntervalSince(envelope.arrival) >= settings.maximumQueueLifetime {
                    recipient.state = .failed
                    recipient.nextAttempt = nil
                    recipient.lastReply = RecipientResult.deliveryTimeExpired(after: result.deliveryReply).deliveryReply
                } else {
                    recipient.state = .deferred
                    recipient.nextAttempt = next
                }
            }
            envelope.recipients[index] = recipient
        }
        // The common case: every recipient delivered and no success DSN wanted. The message is
        // about to be deleted, so the fsync'd state write (a file create, fsync, rename and
        // directory fsync) is skipped; a crash before the deletion re-sends, as a crash between
        // a remote 250 and the state write would anyway (delivery is at-least-once).
        if Self.isDoneWithoutNotice(envelope) {
            completed[id] = envelope
            return envelope
        }
        try spool.setDeliveryState(envelope.recipients.map(\.deliveryStatus), of: id)
        return envelope
    }

    /// Envelopes whose recipients are all delivered but whose state was not written.
    private var completed: [QueueID: SpoolEnvelope] = [:]

    /// The in-memory final envelope of `id`, if the last results skipped the state write.
    func takeCompleted(_ id: QueueID) -> SpoolEnvelope? {
        completed.removeValue(forKey: id)
    }

    static func isDoneWithoutNotice(_ envelope: SpoolEnvelope) -> Bool {
        envelope.recipients.allSatisfy { recipient in
            recipient.state == .delivered
                && recipient.notify?.includes(.success) != true
        }
    }
}
