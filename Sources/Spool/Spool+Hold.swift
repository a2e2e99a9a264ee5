import Foundation

/// Holding messages: queued but not delivered until released (compromised-account hold,
/// `portcullis queue hold`). This is the only hold there is.
///
/// A hold is the ``SpoolMarker/hold`` marker, `queue/<id>.hold`, beside the message. It is a
/// marker rather than a delivery state so that the immutable envelope and the per-recipient
/// state stay as they are: releasing a message resumes exactly where delivery stood. A
/// message committed on hold gets its marker before it becomes visible
/// (``SpoolWriter/commit(envelope:prefix:held:)``).
///
/// The delivery engine skips a message while ``isHeld(_:)`` is true (or
/// ``QueuedMessage/isHeld`` from ``queuedMessages()``).
extension Spool {
    /// Holds a committed message. Durable on return. Holding a held message does nothing.
    public func hold(_ id: QueueID) throws {
        try setMarker(.hold, on: id)
    }

    /// Releases a held message and tells the running server (``QueueRequest/release(_:)``),
    /// which delivers what of it is due at once. Releasing a message that is not held does
    /// nothing.
    public func release(_ id: QueueID) throws {
        guard contains(id) else { throw SpoolError.notFound(id) }
        guard isHeld(id) else { return }
        try removeMarker(.hold, from: id)
        try submit(.release(id))
    }

    /// Whether `id` is held.
    public func isHeld(_ id: QueueID) -> Bool {
        hasMarker(.hold, on: id)
    }
}
