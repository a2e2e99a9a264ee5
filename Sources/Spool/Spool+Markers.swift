import Foundation

/// Setting and reading ``SpoolMarker``s. Any process may do so (the command line holds and
/// releases messages while the server runs): a marker is a file, created or removed and then
/// made durable with its directory.
extension Spool {
    /// Sets `marker` on a committed message. Durable on return; setting it twice does nothing.
    public func setMarker(_ marker: SpoolMarker, on id: QueueID) throws {
        guard contains(id) else { throw SpoolError.notFound(id) }
        try Self.writeMarker(marker, of: id, layout: layout)
    }

    /// Removes `marker` from a committed message. Durable on return; removing an absent
    /// marker does nothing.
    public func removeMarker(_ marker: SpoolMarker, from id: QueueID) throws {
        guard contains(id) else { throw SpoolError.notFound(id) }
        let path = layout.markerPath(id, marker)
        guard FileIO.exists(path) else { return }
        try FileIO.unlinkIfPresent(path)
        try FileIO.syncDirectory(layout.queueDirectory)
    }

    /// Whether `id` carries `marker`.
    public func hasMarker(_ marker: SpoolMarker, on id: QueueID) -> Bool {
        FileIO.exists(layout.markerPath(id, marker))
    }

    /// The markers `id` carries.
    public func markers(of id: QueueID) -> Set<SpoolMarker> {
        Set(SpoolMarker.allCases.filter { hasMarker($0, on: id) })
    }

    /// Creates the marker file and makes it durable (file and directory entry).
    static func writeMarker(_ marker: SpoolMarker, of id: QueueID, layout: SpoolLayout) throws {
        try FileIO.createEmptyDurably(layout.markerPath(id, marker), directory: layout.queueDirectory)
    }
}
