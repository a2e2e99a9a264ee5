import Foundation
import Spool
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Maildir (`tmp/`, `new/`, `cur/`) and the safe way to put a message into it.
///
/// Delivery follows the Maildir protocol: write the message under a unique name in `tmp/`,
/// fsync it, rename it into `new/`, fsync `new/`. A reader never sees a partial message, and
/// once ``deliver(from:headerLines:)`` returns the message survives a crash.
/// Lines are stored with LF endings, as mail readers on Unix expect.
///
/// The name in `new/` is the unique name followed by `,S=<size>,W=<wire size>` (the Maildir++
/// size fields Dovecot and Courier write): `S` is the file's size, `W` its size with CRLF line
/// endings, the size POP3 announces (``MaildirFileName``). Readers take the sizes from the
/// name without opening the file. ``Maildrop`` reads the Maildir for POP3.
public struct Maildir: Sendable {
    /// The directory holding `tmp`, `new` and `cur`.
    public let path: String
    /// Host name used in unique file names.
    public let hostname: String

    private static let counter = Atomic<UInt64>(0)

    /// A maildir at `path` (created on first delivery).
    public init(path: String, hostname: String) {
        self.path = path
        self.hostname = hostname
    }

    /// The maildir of `account` (`local@domain`) under `root` (`<data>/mailboxes`):
    /// `<root>/<domain>/<local>/Maildir`. Characters that could escape the directory are
    /// percent-encoded, the domain is lowercased; returns nil for an address without `@`.
    public static func path(root: String, account: String) -> String? {
        guard let at = account.lastIndex(of: "@") else { return nil }
        let local = String(account[..<at])
        let domain = String(account[account.index(after: at)...]).lowercased()
        guard !local.isEmpty, !domain.isEmpty else { return nil }
        return "\(root)/\(safeComponent(domain))/\(safeComponent(local))/Maildir"
    }

    /// Makes one path component from untrusted text: no `/`, no NUL, no leading `.`.
    static func safeComponent(_ text: String) -> String {
        var out = ""
        for (offset, byte) in text.utf8.enumerated() {
            let unsafe = byte == UInt8(ascii: "/") || byte == 0 || byte == UInt8(ascii: "%") || byte < 0x20
                || (offset == 0 && byte == UInt8(ascii: "."))
            if unsafe {
                out += String(format: "%%%02X", byte)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out.isEmpty ? "%00" : out
    }

    /// A unique file name (the `time.MusecPpidQn.host` form of the Maildir spec).
    func uniqueName() -> String {
        var now = timeval()
        gettimeofday(&now, nil)
        let sequence = Self.counter.add(1, ordering: .relaxed).newValue
        let host = hostname.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
        return "\(now.tv_sec).M\(now.tv_usec)P\(getpid())Q\(sequence).\(host)"
    }

    /// Creates `tmp`, `new` and `cur` (and parents) if missing.
    public func create() throws {
        for sub in ["tmp", "new", "cur"] {
            try Self.makeDirectories("\(path)/\(sub)")
        }
    }

    /// `mkdir -p` with mode 0700 that reports the errno (a full disk must be told apart).
    private static func makeDirectories(_ directory: String) throws {
        if mkdir(directory, 0o700) == 0 { return }
        switch errno {
        case EEXIST:
            return
        case ENOENT:
            let parent = (directory as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != directory else { throw MaildirError.io("mkdir \(directory)", ENOENT) }
            try makeDirectories(parent)
            if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw MaildirError.io("mkdir \(directory)", errno) }
        case let code:
            throw MaildirError.io("mkdir \(directory)", code)
        }
    }

    /// Delivers the message with `headerLines` (without line endings) put in front. Returns the
    /// final path under `new/`.
    @discardableResult
    public func deliver(from source: MessageSource, headerLines: [String]) throws -> String {
        try create()
        let name = uniqueName()
        let temporary = "\(path)/tmp/\(name)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MaildirError.io("create \(temporary)", errno) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        var size = WireSize()
        do {
            defer { close(fd) }
            var converter = LineEndingConverter()
            let header = Array(headerLines.map { $0 + "\n" }.joined().utf8)
            size.count(header)
            try writeAll(fd, header)
            let input = try source.open()
            while case let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                let converted = converter.convert(chunk)
                size.count(converted)
                try writeAll(fd, converted)
            }
            let last = converter.finish()
            size.count(last)
            try writeAll(fd, last)
            guard fsync(fd) == 0 else { throw MaildirError.io("fsync \(temporary)", errno) }
        }
        let final = "\(path)/new/" + MaildirFileName(uniqueName: name, size: size.octets, wireSize: size.wireOctets).description
        guard rename(temporary, final) == 0 else { throw MaildirError.io("rename into \(path)/new", errno) }
        committed = true
        try Self.syncDirectory("\(path)/new")
        return final
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw MaildirError.io("write", errno)
            }
            offset += written
        }
    }

    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw MaildirError.io("open \(directory)", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw MaildirError.io("fsync \(directory)", errno) }
    }
}

/// A failed Maildir write; transient for delivery (disk full, permissions: the operator can fix it).
public struct MaildirError: Error, Sendable, CustomStringConvertible {
    /// What was being done.
    public var operation: String
    /// errno.
    public var code: Int32

    static func io(_ operation: String, _ code: Int32) -> MaildirError {
        MaildirError(operation: operation, code: code)
    }

    /// The file system (or the user's quota) is full: the message waits for space.
    public var isStorageFull: Bool { code == ENOSPC || code == EDQUOT }

    /// `write: No space left on device`.
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// CRLF → LF across chunk boundaries (a lone CR is kept).
struct LineEndingConverter {
    private var pendingCR = false

    mutating func convert(_ chunk: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(chunk.count)
        for byte in chunk {
            if pendingCR {
                pendingCR = false
                if byte != 0x0A { out.append(0x0D) }
            }
            if byte == 0x0D {
                pendingCR = true
            } else {
                out.append(byte)
            }
        }
        return out
    }

    mutating func finish() -> [UInt8] {
        defer { pendingCR = false }
        return pendingCR ? [0x0D] : []
    }
}
