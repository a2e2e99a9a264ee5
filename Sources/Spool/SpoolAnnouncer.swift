import Synchronization

/// What the owning spool tells its listeners, as it happens.
public enum SpoolAnnouncement: Sendable, Hashable {
    /// These messages were just committed: durable and visible, their callers answered.
    case committed([QueueID])
    /// The command line left a new ``QueueRequest``.
    case requested
}

/// Hands each announcement to every open ``Spool/announcements()`` stream.
///
/// Why: delivery should start the moment a message is durable, not at the next scan of the
/// spool. The committer thread calls ``announce(_:)`` once per batch; a yield to an unbounded
/// stream never blocks it.
final class SpoolAnnouncer: Sendable {
    private struct Listeners {
        var next = 0
        var continuations: [Int: AsyncStream<SpoolAnnouncement>.Continuation] = [:]
    }

    private let listeners = Mutex(Listeners())

    func announce(_ announcement: SpoolAnnouncement) {
        let continuations = listeners.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield(announcement) }
    }

    func subscribe() -> AsyncStream<SpoolAnnouncement> {
        let (stream, continuation) = AsyncStream.makeStream(of: SpoolAnnouncement.self, bufferingPolicy: .unbounded)
        let key = listeners.withLock { listeners in
            defer { listeners.next += 1 }
            listeners.continuations[listeners.next] = continuation
            return listeners.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.listeners.withLock { $0.continuations.removeValue(forKey: key) }
        }
        return stream
    }

    /// Ends every stream (the spool is closing).
    func finish() {
        let continuations = listeners.withLock { listeners in
            defer { listeners.continuations.removeAll() }
            return Array(listeners.continuations.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
