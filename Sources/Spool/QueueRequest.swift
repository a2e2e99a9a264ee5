/// What the operator asks of the running server (`portcullis queue …`), through the spool.
///
/// The command line is another process and the server may not be running. So a request is a
/// file in `<spool>/requests/`, named after the request, written durably by
/// ``Spool/submit(_:)``; the server's spool announces new ones at once
/// (``SpoolAnnouncement/requested``) and the queue manager removes each when it has carried it
/// out. A request made while the server is down is carried out when it starts.
public enum QueueRequest: Sendable, Hashable {
    /// Retry every deferred recipient now (`queue flush`).
    case flush
    /// Deliver nothing while this stands (`queue pause`); withdrawn by `queue resume`.
    case pause
    /// The pause was withdrawn (`queue resume`): deliver what is due now.
    case resume
    /// Retry the deferred recipients of one message now (`queue retry ID`).
    case retry(QueueID)
    /// The message's hold was removed (`queue release ID`): deliver what of it is due now.
    case release(QueueID)
    /// Fail the undelivered recipients with a bounce, then remove the message (`queue delete ID --bounce`).
    case bounce(QueueID)
    /// Remove a message that is still in the owner's journal (`queue delete ID`), which only
    /// the owner can do: it journals the deletion.
    case delete(QueueID)

    /// The request's file name in `requests/`.
    var fileName: String {
        switch self {
        case .flush: return "flush"
        case .pause: return "pause"
        case .resume: return "resume"
        case .release(let id): return "release.\(id)"
        case .retry(let id): return "retry.\(id)"
        case .bounce(let id): return "bounce.\(id)"
        case .delete(let id): return "delete.\(id)"
        }
    }

    /// The request a file in `requests/` stands for; `nil` for a name that is none.
    init?(fileName name: String) {
        switch name {
        case "flush": self = .flush
        case "pause": self = .pause
        case "resume": self = .resume
        default:
            guard let dot = name.firstIndex(of: ".") else {
                // A bare queue ID: a deletion request from a spool that named them so.
                guard let id = QueueID(name) else { return nil }
                self = .delete(id)
                return
            }
            guard let id = QueueID(String(name[name.index(after: dot)...])) else { return nil }
            switch name[..<dot] {
            case "retry": self = .retry(id)
            case "release": self = .release(id)
            case "bounce": self = .bounce(id)
            case "delete": self = .delete(id)
            default: return nil
            }
        }
    }

    /// The message the request is about, if it is about one.
    public var queueID: QueueID? {
        switch self {
        case .flush, .pause, .resume: return nil
        case .retry(let id), .release(let id), .bounce(let id), .delete(let id): return id
        }
    }
}
