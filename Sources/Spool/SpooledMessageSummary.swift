import Foundation
import SMTPCore

/// One message of `portcullis queue list`: its envelope summary and where each recipient stands.
public struct SpooledMessageSummary: Sendable, Hashable {
    /// The queue ID.
    public var id: QueueID
    /// When the message arrived.
    public var arrival: Date
    /// The envelope sender.
    public var sender: ReversePath
    /// The recipients in envelope order, each with its delivery state, attempts and last error.
    public var recipients: [SpoolRecipient]
    /// The message size in octets.
    public var size: Int
    /// Whether the message is held (``Spool/hold(_:)``): queued, but not to be delivered.
    public var isHeld: Bool

    /// Creates a summary.
    public init(id: QueueID, arrival: Date, sender: ReversePath, recipients: [SpoolRecipient], size: Int, isHeld: Bool = false) {
        self.id = id
        self.arrival = arrival
        self.sender = sender
        self.recipients = recipients
        self.size = size
        self.isHeld = isHeld
    }

    /// How many recipients the message has.
    public var recipientCount: Int { recipients.count }

    /// The least advanced recipient state (as ``SpoolEnvelope/overallState``).
    public var state: DeliveryState {
        DeliveryState.leastAdvanced(of: recipients.map(\.state))
    }
}
