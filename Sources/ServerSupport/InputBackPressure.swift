/// When a session driver stops reading from its socket: a client that pipelines commands
/// faster than the session answers them (or never reads the answers) fills the framer's
/// buffer. Above ``limit`` octets reading pauses; it resumes once the session has worked the
/// buffer down to half, so a client near the limit does not toggle it at every packet.
public struct InputBackPressure: Sendable, Equatable {
    /// Input kept while the session is busy, before reading from the socket stops.
    public let limit: Int

    public enum Change: Sendable, Equatable {
        case pauseReading
        case resumeReading
    }

    public private(set) var isPaused = false

    public init(limit: Int) {
        self.limit = limit
    }

    /// The input loop stopped with `buffered` octets unread: whether reading should change.
    public mutating func inputProcessed(buffered: Int) -> Change? {
        if buffered > limit, !isPaused {
            isPaused = true
            return .pauseReading
        }
        if buffered <= limit / 2, isPaused {
            isPaused = false
            return .resumeReading
        }
        return nil
    }
}
