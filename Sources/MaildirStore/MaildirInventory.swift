import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The delivered messages of one Maildir, for the operator's `portcullis mailbox list|purge`.
///
/// Messages are the files in `new/` (not yet seen by a reader) and `cur/` (seen, with `:2,`
/// flags); `tmp/` holds deliveries still being written and is never counted or touched. A
/// message's delivery time is the seconds field that starts its unique name (`time.MusecPpid…`,
/// the Maildir convention every deliverer follows); for a name without one, the file's
/// modification time, which a rename into `new/` or `cur/` keeps.
public struct MaildirInventory: Sendable {
    /// One delivered message.
    public struct Message: Sendable, Hashable {
        /// `new` or `cur`.
        public var subdirectory: String
        /// The file name: the unique name, plus `:2,FLAGS` once in `cur/`.
        public var name: String
        /// Octets on disk.
        public var size: Int
        /// When it was delivered.
        public var delivered: Date

        var path: String { "\(subdirectory)/\(name)" }
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
        for subdirectory in ["new", "cur"] {
            let directory = "\(maildir.path)/\(subdirectory)"
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
                                        delivered: Self.deliveryTime(name: name, modified: modified)))
            }
        }
        self.messages = messages.sorted { ($0.delivered, $0.name) < ($1.delivered, $1.name) }
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
    static func deliveryTime(name: String, modified: Date, now: Date = Date()) -> Date {
        let seconds = name.prefix { $0 != "." }
        guard !seconds.isEmpty, seconds.count <= 12, seconds.allSatisfy(\.isASCII), seconds.allSatisfy(\.isNumber),
              let value = TimeInterval(seconds) else { return modified }
        let date = Date(timeIntervalSince1970: value)
        guard date > Date(timeIntervalSince1970: 631_152_000), date < now.addingTimeInterval(86_400) else { return modified }
        return date
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
        var touched = Set<String>()
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
        for subdirectory in touched.sorted() {
            let directory = "\(path)/\(subdirectory)"
            let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { let code = errno; throw Failure(operation: "open \(directory)", code: code) }
            defer { close(fd) }
            guard fsync(fd) == 0 else { let code = errno; throw Failure(operation: "fsync \(directory)", code: code) }
        }
        return purged
    }
}
