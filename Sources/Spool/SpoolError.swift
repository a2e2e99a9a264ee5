import Foundation
import SMTPCore

/// What can go wrong in the spool. Every case is temporary from an SMTP client's point of view
/// (``reply``): the message was not accepted and may be sent again.
public enum SpoolError: Error, Sendable, Hashable, LocalizedError, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// No committed message has this ID.
    case notFound(QueueID)
    /// The text is not a queue ID.
    case invalidQueueID(String)
    /// The writer was already committed or aborted.
    case writerFinished(QueueID)
    /// Another process owns the spool (the running server); this one may only read it.
    case notOwner(String)
    /// The spool was closed.
    case closed
    /// A stored envelope or state file cannot be decoded.
    case corrupt(path: String, reason: String)
    /// The state given does not match the message's recipients.
    case recipientCountMismatch(QueueID, expected: Int, got: Int)
    /// The running server did not act on a request to delete a message in its journal.
    case stillInJournal(QueueID)

    public var description: String {
        switch self {
        case let .io(operation, path, code):
            return "spool: \(operation) \(path) failed: \(String(cString: strerror(code)))"
        case let .notFound(id):
            return "message \(id) is not in the queue; see `portcullis queue list`"
        case let .invalidQueueID(text):
            return "\"\(text)\" is not a queue ID (14 characters such as 0PK6A0Z5X000A3)"
        case let .writerFinished(id):
            return "message \(id) was already committed or aborted"
        case let .notOwner(path):
            return "the spool in \(path) is owned by another process (is the server running?); only reading is possible"
        case .closed:
            return "the spool is closed"
        case let .corrupt(path, reason):
            return "spool file \(path) is damaged: \(reason)"
        case let .recipientCountMismatch(id, expected, got):
            return "message \(id) has \(expected) recipient(s) but \(got) state(s) were given"
        case let .stillInJournal(id):
            return "message \(id) is in the running server's commit journal and the server did not delete it within 10 s; is it stuck? try again later"
        }
    }

    public var errorDescription: String? { description }
}

extension SpoolError: ReplyConvertible {
    /// A full disk (or quota) is 452 4.3.1 (RFC 3463 §3.4 X.3.1), a closing queue 451 4.3.2,
    /// anything else 451 4.3.0.
    public var reply: Reply {
        switch self {
        case let .io(_, _, code) where code == ENOSPC || code == EDQUOT: return .insufficientStorage
        case .closed: return .notAcceptingMessages
        default: return .queueFailure
        }
    }
}
