import Foundation

/// Reads one committed message's bytes, wherever the spool keeps them: its own file in
/// `queue/`, or its record in a journal segment (see ``ResidentMessages``).
///
/// The reader owns a file descriptor of its own, so the spool may move the message (a
/// checkpoint copies it out of the journal and removes the segment) while it is being read.
/// Reads are positional (`pread`) and stop at the message's length.
public final class MessageReader {
    /// The message's size in octets.
    public let length: Int
    private let fd: Int32
    private let start: UInt64
    private let path: String
    private var position = 0

    init(fd: Int32, start: UInt64, length: Int, path: String) {
        self.fd = fd
        self.start = start
        self.length = length
        self.path = path
    }

    deinit {
        FileIO.closeFile(fd)
    }

    /// Opens a plain file as a message (tests, and messages given by path).
    public static func file(_ path: String) throws -> MessageReader {
        let fd = try FileIO.openFile(path, O_RDONLY)
        do {
            return MessageReader(fd: fd, start: 0, length: Int(try FileIO.size(of: fd, path: path)), path: path)
        } catch {
            FileIO.closeFile(fd)
            throw error
        }
    }

    /// The next bytes, at most `count`; empty at the end of the message.
    public func read(upToCount count: Int) throws -> [UInt8] {
        let want = min(count, length - position)
        guard want > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: want)
        let got = try bytes.withUnsafeMutableBytes { buffer in
            try FileIO.readSome(fd, into: buffer, at: start + UInt64(position), path: path)
        }
        // The message is known to be `length` octets long: a short file is damage, not the end.
        guard got > 0 else { throw SpoolError.corrupt(path: path, reason: "the message ends early") }
        position += got
        bytes.removeSubrange(got...)
        return bytes
    }

    /// The rest of the message.
    public func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length - position)
        while true {
            let chunk = try read(upToCount: 256 * 1024)
            if chunk.isEmpty { return bytes }
            bytes.append(contentsOf: chunk)
        }
    }
}

/// Where to read a message from when it is needed: delivery opens it at send time, so a
/// message that moved in the meantime (journal to `queue/`) is still found.
public struct MessageSource: Sendable {
    private let opener: @Sendable () throws -> MessageReader

    public init(_ opener: @escaping @Sendable () throws -> MessageReader) {
        self.opener = opener
    }

    /// A plain file.
    public static func file(_ path: String) -> MessageSource {
        MessageSource { try MessageReader.file(path) }
    }

    /// Opens a reader positioned at the first octet of the message.
    public func open() throws -> MessageReader {
        try opener()
    }
}
