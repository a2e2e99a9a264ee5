import Synchronization

/// Which maildrops a POP3 session holds, in this process: RFC 1939 §8 expects the server to
/// hold the maildrop exclusively from login to the end of the session, so a second login
/// gets `-ERR [IN-USE]` (RFC 2449 §8.1.2) instead of a listing that the first session's
/// UPDATE would invalidate. Keyed by the Maildir path. Local delivery takes no lock: it only
/// adds files to `new/`, which a session does not look at after login.
public final class MaildropLocks: Sendable {
    private let held = Mutex<Set<String>>([])

    public init() {}

    /// The lock on `path`, or nil when another session holds it.
    public func acquire(_ path: String) -> MaildropLock? {
        let taken = held.withLock { $0.insert(path).inserted }
        return taken ? MaildropLock(path: path, locks: self) : nil
    }

    fileprivate func release(_ path: String) {
        _ = held.withLock { $0.remove(path) }
    }

    /// Maildrops held now.
    public var count: Int { held.withLock { $0.count } }
}

/// One session's hold on a maildrop; released once, explicitly or when dropped.
public final class MaildropLock: Sendable {
    public let path: String
    private let locks: MaildropLocks
    private let released = Atomic<Bool>(false)

    fileprivate init(path: String, locks: MaildropLocks) {
        self.path = path
        self.locks = locks
    }

    public func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { locks.release(path) }
    }

    deinit { release() }
}
