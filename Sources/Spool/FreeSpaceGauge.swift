import Foundation
import Synchronization

/// Whether the spool's file system has room for more mail (Postfix's `queue_minfree`).
///
/// Why: a commit that fails on a full disk costs the client a whole transmission and a 451;
/// refusing at MAIL with `452 4.3.1` (RFC 3463 §3.4, X.3.1 mail system full) tells it at
/// once, while what is already queued can still be delivered and its files removed.
/// `statvfs` is asked at most once per ``refreshInterval``, not once per MAIL.
public final class FreeSpaceGauge: Sendable {
    /// The free octets below which new mail is refused; 0 switches the check off.
    public let minimum: UInt64
    /// A free-space reading is reused this long (seconds).
    public let refreshInterval: TimeInterval
    private let path: String
    private let reading = Mutex<(at: Date, free: UInt64?)>((.distantPast, nil))

    public init(path: String, minimum: UInt64, refreshInterval: TimeInterval = 1) {
        self.path = path
        self.minimum = minimum
        self.refreshInterval = refreshInterval
    }

    /// True when at least ``minimum`` octets would be left after `size` more.
    /// A file system that cannot be asked counts as having room: the commit then finds out.
    public func hasRoom(for size: UInt64 = 0) -> Bool {
        guard minimum > 0 else { return true }
        guard let free = freeSpace() else { return true }
        return free >= minimum && free - minimum >= size
    }

    /// The octets an unprivileged writer may still use (`f_bavail`: root's reserve is not
    /// counted, the server may not run as root), at most ``refreshInterval`` old.
    public func freeSpace() -> UInt64? {
        let now = Date()
        if let cached = reading.withLock({ now.timeIntervalSince($0.at) < refreshInterval ? $0.free : nil }) {
            return cached
        }
        var stats = statvfs()
        let free: UInt64? = statvfs(path, &stats) == 0 ? UInt64(stats.f_bavail) * UInt64(stats.f_frsize) : nil
        reading.withLock { $0 = (now, free) }
        return free
    }
}
