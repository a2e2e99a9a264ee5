import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The delivered messages of one Maildir, for the operator's `portcullis mailbox list|purge`.
///
/// Messages are the files in `new/` (not yet seen by a reader) and `cur/` (seen, with `:2,`
/// flags); `tmp/` holds deliveries still being written and is never counted or touched. A
/// message's delivery time is the ``MaildirDeliveryTime`` its unique name starts with; for a
/// name without one, the file's modification time, which a rename into `new/` or `cur/` keeps.
/// Messages are in the order POP3 numbers them (``Maildrop``).
public struct MaildirInventory: Sendable {
    /// Where a delivered message is (Maildir spec).
    public enum Subdirectory: String, Sendable, Hashable, CaseIterable {
        /// Not yet seen by a reader.
        case new
        /// Seen, with `:2,` flags.
        case cur
    }

    /// One delivered message.
    public struct Message: Sendable, Hashable {
        public var subdirectory: Subdirectory
        /// The file name: the unique name, plus `:2,FLAGS` once in `cur/`.
        public var name: String
        /// Octets on disk.
        public var size: Int
        /// When it was delivered.
        public var delivered: Date { Date(timeIntervalSince1970: TimeInterval(deliveryTime.seconds)) }
        var deliveryTime: MaildirDeliveryTime

        var path: String { "\(subdirectory.rawValue)/\(name)" }
    }

    /// A file-system call that failed: what was being done, and errno.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var operation: String
        public var code: Int32

        /// `open /…/Maildir/cur: Permission denied`.
        public var description: String { "\(operation): \(String(cString: strerror(code)))" }
    }

    /// The Maildir's directory (holding `new`, `cur`, `tmp`).
    public let path: String
    /// Every message in `new/` and `cur/`, oldest first.
    public let messages: [Message]

    /// Reads `maildir`. A Maildir (or a subdirectory) that does not exist yet holds no
    /// messages: nothing has been delivered to the account.
    public init(_ maildir: Maildir) throws(MaildirInventory.Failure) {
        path = maildir.path
        var messages: [Message] = []
        for subdirectory in Subdirectory.allCases {
            let directory = "\(maildir.path)/\(subdirectory.rawValue)"
            guard let stream = opendir(directory) else {
                let code = errno
                if code == ENOENT { continue }
                throw Failure(operation: "open \(directory)", code: code)
            }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                // Dot files are not messages (the Maildir convention; also `.` and `..`).
                guard !name.hasPrefix(".") else { continue }
                var status = stat()
                guard stat("\(directory)/\(name)", &status) == 0 else {
                    let code = errno
                    // Removed meanwhile (a reader deleted it, or moved it from new/ to cur/).
                    if code == ENOENT { continue }
                    throw Failure(operation: "stat \(directory)/\(name)", code: code)
                }
                guard (status.st_mode & S_IFMT) == S_IFREG else { continue }
                let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
                messages.append(Message(subdirectory: subdirectory, name: name, size: Int(status.st_size),
                                        deliveryTime: Self.deliveryTime(name: name, modified: modified)))
            }
        }
        self.messages = messages.sorted { ($0.deliveryTime, $0.name) < ($1.deliveryTime, $1.name) }
    }

    /// How many messages there are.
    public var count: Int { messages.count }
    /// Their octets on disk together.
    public var totalSize: Int { messages.reduce(0) { $0 + $1.size } }
    /// When the oldest was delivered; nil for an empty Maildir.
    public var oldest: Date? { messages.first?.delivered }

    /// The delivery time of a message named `name`: its unique name's leading seconds when
    /// they are plausible (after 1990, not in the future beyond a day of clock skew), else
    /// `modified`.
    static func deliveryTime(name: String, modified: Date, now: Date = Date()) -> MaildirDeliveryTime {
        let fallback = MaildirDeliveryTime(seconds: Int(modified.timeIntervalSince1970))
        let unique = MaildirFileName(parsing: name).uniqueName
        guard let time = MaildirDeliveryTime(uniqueName: unique) else { return fallback }
        let date = Date(timeIntervalSince1970: TimeInterval(time.seconds))
        guard date > Date(timeIntervalSince1970: 631_152_000), date < now.addingTimeInterval(86_400) else { return fallback }
        return time
    }

    /// What ``purge(deliveredBefore:)`` removed.
    public struct Purged: Sendable, Equatable {
        public var count: Int
        public var size: Int
    }

    /// Removes every message delivered before `cutoff` from `new/` and `cur/`, then fsyncs
    /// both directories so the removal survives a crash. A message already gone (a POP3
    /// session deleted it, or moved it to `cur/` after this inventory was read) is not counted.
    public func purge(deliveredBefore cutoff: Date) throws(MaildirInventory.Failure) -> Purged {
        var purged = Purged(count: 0, size: 0)
        var touched = Set<Subdirectory>()
        for message in messages where message.delivered < cutoff {
            let file = "\(path)/\(message.path)"
            if unlink(file) == 0 {
                purged.count += 1
                purged.size += message.size
                touched.insert(message.subdirectory)
            } else {
                let code = errno
                if code != ENOENT { throw Failure(operation: "remove \(file)", code: code) }
            }
        }
        for subdirectory in Subdirectory.allCases where touched.contains(subdirectory) {
            let directory = "\(path)/\(subdirectory.rawValue)"
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { let code = errno; throw Failure(operation: "open \(directory)", code: code) }
            defer { close(fd) }
            guard fsync(fd) == 0 else { let code = errno; throw Failure(operation: "fsync \(directory)", code: code) }
        }
        return purged
    }
}
