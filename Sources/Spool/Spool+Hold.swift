import Foundation

/// Holding messages: queued but not delivered until released (compromised-account
/// hold; also usable by an operator).
///
/// A hold is an empty marker file, `queue/<id>.hold`, beside the message. It is a separate
/// file rather than a delivery state so that the immutable envelope and the per-recipient
/// state stay as they are: releasing a message resumes exactly where delivery stood. The
/// marker is fsync'd together with its directory before a hold is reported; a message
/// committed on hold gets its marker before it becomes visible
/// (``SpoolWriter/commit(envelope:prefix:held:)``). Deleting a message removes its marker;
/// recovery removes markers whose message does not exist.
///
/// The delivery engine must skip a message while ``isHeld(_:)`` is true (or
/// ``SpooledMessageSummary/isHeld`` from ``list()``).
extension Spool {
    /// Holds a committed message. Durable on return. Holding a held message does nothing.
    public func hold(_ id: QueueID) throws {
        guard contains(id) else { throw SpoolError.notFound(id) }
        try Self.writeHoldMarker(id, layout: layout)
    }

    /// Releases a held message so delivery takes it up at its next scan. Releasing a message
    /// that is not held does nothing.
    public func release(_ id: QueueID) throws {
        guard contains(id) else { throw SpoolError.notFound(id) }
        guard FileIO.exists(layout.holdPath(id)) else { return }
        try FileIO.unlinkIfPresent(layout.holdPath(id))
        try FileIO.syncDirectory(layout.queueDirectory)
    }

    /// Whether `id` is held.
    public func isHeld(_ id: QueueID) -> Bool {
        FileIO.exists(layout.holdPath(id))
    }

    /// Creates the hold marker of `id` and makes it durable (file and directory entry).
    static func writeHoldMarker(_ id: QueueID, layout: SpoolLayout) throws {
        let path = layout.holdPath(id)
        let fd = try FileIO.openFile(path, O_WRONLY | O_CREAT)
        do {
            try FileIO.sync(fd, path: path)
            FileIO.closeFile(fd)
        } catch {
            FileIO.closeFile(fd)
            throw error
        }
        try FileIO.syncDirectory(layout.queueDirectory)
    }
}
