import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Maildir as a POP3 maildrop (RFC 1939): what a session lists, reads and removes.
///
/// Opening it follows the Maildir rules a later IMAP server relies on: messages in `new/` have
/// been seen by a client now, so they move to `cur/` with the `:2,` info of a message without
/// flags; files already in `cur/` keep their names and flags. The listing is taken once, at
/// login: mail delivered during the session shows in the next one. A reader that changes a
/// message's flags meanwhile renames its file; the message is found again by its unique name
/// (``currentPath(of:)``).
///
/// Sizes come from the `W=` field of the name (written at delivery, ``Maildir``), or are
/// counted by reading a file without it (mail written by another program). Unique-ids are the
/// Maildir unique names: stable for as long as the message exists, and never reused, since
/// unique names are not.
///
/// Everything here blocks on the file system: call it off the event loop.
public struct Maildrop: Sendable {
    /// One message of the listing.
    public struct Message: Sendable, Hashable {
        /// The file, in `cur/`, as it was named at login.
        public var path: String
        /// The Maildir unique name: the part of the file name another reader never changes
        /// (it renames the file to change the flags after `:2,`).
        public var uniqueName: String
        /// The POP3 unique-id (RFC 1939 §7): the unique name when it is 1 to 70 characters
        /// in 0x21-0x7E, else a digest of it.
        public var uniqueID: String
        /// The size as POP3 sends it: CRLF line endings (``WireSize``).
        public var wireSize: Int
    }

    /// The Maildir's directory.
    public let path: String
    /// The messages, oldest first.
    public let messages: [Message]

    /// Moves new mail into `cur/` and lists `cur/`. A Maildir that does not exist yet (no mail
    /// was ever delivered) is an empty maildrop.
    public static func open(path: String) throws -> Maildrop {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return Maildrop(path: path, messages: [])
        }
        try moveNewMail(path: path)
        var entries: [(key: SortKey, name: String, parsed: MaildirFileName)] = []
        for name in try entryNames(in: "\(path)/cur") {
            let parsed = MaildirFileName(parsing: name)
            entries.append((SortKey(parsed.uniqueName), name, parsed))
        }
        // Sorted before unique-ids are given out, so that of two files with the same unique
        // name the same one gets it in every session, whatever order the directory lists them.
        entries.sort { ($0.key, $0.name) < ($1.key, $1.name) }
        var messages: [Message] = []
        var seenIDs: Set<String> = []
        for entry in entries {
            let file = "\(path)/cur/\(entry.name)"
            let wireSize: Int
            if let known = entry.parsed.wireSize {
                wireSize = known
            } else {
                // A file another program wrote: count it (and skip what vanished meanwhile).
                guard let counted = try countWireSize(file) else { continue }
                wireSize = counted
            }
            var uid = uniqueID(for: entry.parsed.uniqueName)
            if seenIDs.contains(uid) {
                // The same unique name twice (a copy): the whole file name tells them apart.
                uid = digest(entry.name)
            }
            seenIDs.insert(uid)
            messages.append(Message(path: file, uniqueName: entry.parsed.uniqueName, uniqueID: uid, wireSize: wireSize))
        }
        return Maildrop(path: path, messages: messages)
    }

    /// The UPDATE state (RFC 1939 §6): removes the messages and makes the removal durable.
    /// A message whose flags another reader changed meanwhile is removed under its new name
    /// (``currentPath(of:)``); one already gone counts as removed. Throws when any could not be
    /// removed (after trying all).
    public func remove(_ messages: [Message]) throws {
        var failure: MaildirError?
        var renamed: [Message] = []
        for message in messages where unlink(message.path) != 0 {
            if errno == ENOENT {
                renamed.append(message)
            } else {
                failure = failure ?? MaildirError.io("unlink \(message.path)", errno)
            }
        }
        if !renamed.isEmpty {
            let current = try currentNames(of: Set(renamed.map(\.uniqueName)))
            for message in renamed {
                guard let name = current[message.uniqueName] else { continue }
                let file = "\(path)/cur/\(name)"
                if unlink(file) != 0 && errno != ENOENT {
                    failure = failure ?? MaildirError.io("unlink \(file)", errno)
                }
            }
        }
        try Maildir.syncDirectory("\(path)/cur")
        if let failure { throw failure }
    }

    /// Where `message` is now: its file in `cur/` under the name it had at login or, when
    /// another reader (an IMAP server on the same Maildir) changed its flags since, under the
    /// same unique name with other info (Maildir spec). Nil when it is gone.
    public func currentPath(of message: Message) throws -> String? {
        if access(message.path, F_OK) == 0 { return message.path }
        return try currentNames(of: [message.uniqueName])[message.uniqueName].map { "\(path)/cur/\($0)" }
    }

    /// The file names in `cur/` now of the messages with these unique names.
    private func currentNames(of uniqueNames: Set<String>) throws -> [String: String] {
        var names: [String: String] = [:]
        for name in try Self.entryNames(in: "\(path)/cur") {
            let unique = MaildirFileName(parsing: name).uniqueName
            if uniqueNames.contains(unique), names[unique] == nil { names[unique] = name }
        }
        return names
    }

    // MARK: - Unique-ids

    /// RFC 1939 §7: 1 to 70 characters from 0x21 to 0x7E. A unique name outside that is
    /// replaced by `~` and its SHA-256 in hex (65 characters), the same every time.
    public static func uniqueID(for uniqueName: String) -> String {
        let bytes = Array(uniqueName.utf8)
        if (1...70).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return uniqueName
        }
        return digest(uniqueName)
    }

    private static func digest(_ text: String) -> String {
        "~" + SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Helpers

    /// ``MaildirDeliveryTime`` order; a name without a time sorts after every one with.
    struct SortKey: Comparable {
        var time: MaildirDeliveryTime
        var name: String

        init(_ uniqueName: String) {
            name = uniqueName
            time = MaildirDeliveryTime(uniqueName: uniqueName) ?? MaildirDeliveryTime(seconds: .max)
        }

        static func < (lhs: SortKey, rhs: SortKey) -> Bool {
            (lhs.time, lhs.name) < (rhs.time, rhs.name)
        }
    }

    /// `new/*` to `cur/*:2,`. A file that vanished meanwhile (another reader took it) is skipped.
    private static func moveNewMail(path: String) throws {
        let names = try entryNames(in: "\(path)/new")
        guard !names.isEmpty else { return }
        try Maildir(path: path, hostname: "").create()
        for name in names {
            let target = MaildirFileName(parsing: name).inCur.description
            if rename("\(path)/new/\(name)", "\(path)/cur/\(target)") != 0 && errno != ENOENT {
                throw MaildirError.io("rename \(path)/new/\(name) into cur", errno)
            }
        }
    }

    /// The file names in a directory, without dot files; none when it does not exist.
    private static func entryNames(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw MaildirError.io("open \(directory)", errno)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") { continue }
            // Only files are messages: a directory (left by a tool, or `courierimapkeywords/`)
            // is skipped. DT_UNKNOWN (a file system without d_type) is checked where it is read.
            let type = entry.pointee.d_type
            if type != UInt8(DT_REG) && type != UInt8(DT_UNKNOWN) { continue }
            names.append(name)
        }
        return names
    }

    /// The CRLF size of a file, read through; nil when it is gone or is not a regular file.
    private static func countWireSize(_ file: String) throws -> Int? {
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw MaildirError.io("open \(file)", errno)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw MaildirError.io("fstat \(file)", errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        var size = WireSize()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw MaildirError.io("read \(file)", errno)
            }
            if count == 0 { break }
            size.count(buffer[..<count])
        }
        return size.wireOctets
    }
}
