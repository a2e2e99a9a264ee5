import Foundation

/// One line of `portcullis queue list`.
public struct SpooledMessageSummary: Sendable, Hashable {
    /// The queue ID.
    public var id: QueueID
    /// When the message arrived.
    public var arrival: Date
    /// The envelope sender ("" for `<>`).
    public var sender: String
    /// How many recipients the message has.
    public var recipientCount: Int
    /// The message size in octets.
    public var size: Int
    /// The least advanced recipient state (see ``SpoolEnvelope/overallState``).
    public var state: DeliveryState
    /// Whether the message is held (``Spool/hold(_:)``): queued, but not to be delivered.
    public var isHeld: Bool

    /// Creates a summary.
    public init(id: QueueID, arrival: Date, sender: String, recipientCount: Int, size: Int, state: DeliveryState,
                isHeld: Bool = false) {
        self.id = id
        self.arrival = arrival
        self.sender = sender
        self.recipientCount = recipientCount
        self.size = size
        self.state = state
        self.isHeld = isHeld
    }
}
