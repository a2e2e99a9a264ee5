/// A committed message as delivery plans it: the envelope with each recipient's latest
/// state, and the markers set on it.
public struct QueuedMessage: Sendable {
    /// The queue ID.
    public let id: QueueID
    /// The envelope, with the latest delivery state of each recipient.
    public let envelope: SpoolEnvelope
    /// The markers set on the message.
    public let markers: Set<SpoolMarker>

    /// Creates the value.
    public init(id: QueueID, envelope: SpoolEnvelope, markers: Set<SpoolMarker> = []) {
        self.id = id
        self.envelope = envelope
        self.markers = markers
    }

    /// Whether the message is held (``Spool/hold(_:)``).
    public var isHeld: Bool { markers.contains(.hold) }
}
