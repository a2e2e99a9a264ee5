import Foundation

/// The one channel from the command line to the running server: ``QueueRequest`` files in
/// `<spool>/requests/`. Any process may submit; the owner's committer takes the deletions
/// itself and announces the others (``SpoolAnnouncement/requested``) to the queue manager,
/// which clears each once carried out.
extension Spool {
    /// Leaves `request` for the server. Durable on return (file and directory entry);
    /// submitting a pending request again does nothing.
    public func submit(_ request: QueueRequest) throws {
        try FileIO.createEmptyDurably(layout.requestPath(request.fileName), directory: layout.requestsDirectory)
    }

    /// The requests waiting to be carried out (a standing ``QueueRequest/pause`` among them).
    public func pendingRequests() -> Set<QueueRequest> {
        let names = (try? FileIO.entries(of: layout.requestsDirectory)) ?? []
        return Set(names.compactMap(QueueRequest.init(fileName:)))
    }

    /// Removes a request: carried out, or withdrawn (``resume()`` withdraws the pause). The
    /// committer forgets it was announced, so the same request submitted again is announced again.
    public func clear(_ request: QueueRequest) throws {
        try FileIO.unlinkIfPresent(layout.requestPath(request.fileName))
        committer?.forget(request)
    }

    /// Withdraws the standing pause and tells the running server (``QueueRequest/resume``),
    /// which delivers what is due at once. Resuming when not paused does nothing.
    public func resume() throws {
        guard isPaused else { return }
        try clear(.pause)
        try FileIO.syncDirectory(layout.requestsDirectory)
        try submit(.resume)
    }

    /// Whether deliveries are paused (``QueueRequest/pause`` stands).
    public var isPaused: Bool {
        FileIO.exists(layout.requestPath(QueueRequest.pause.fileName))
    }
}
