import BlockingWork
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A message file open for RETR or TOP, read in chunks on the ``BlockingWorkPool`` so the
/// event loop never waits on the disk and a large message is never held whole.
final class MessageFile: Sendable {
    /// Octets read per chunk.
    static let chunkSize = 64 * 1024

    private let descriptor: Int32
    /// The file's size at open: reading stops there, which saves the read that finds the end.
    let size: Int

    private init(descriptor: Int32, size: Int) {
        self.descriptor = descriptor
        self.size = size
    }

    /// Opens `path` and reads its first chunk, in one trip to the thread pool (a typical
    /// message is one chunk). When `path` is gone, `movedTo` says where the file is now (a
    /// Maildir reader renamed it to change its flags), or nil when it is gone for good.
    static func open(_ path: String, movedTo: @escaping @Sendable () throws -> String?, pool: BlockingWorkPool,
                     on eventLoop: EventLoop) -> EventLoopFuture<(MessageFile, [UInt8])?> {
        pool.run(on: eventLoop) { () throws -> (MessageFile, [UInt8])? in
            var fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            var code = errno
            if fd < 0 && code == ENOENT {
                guard let moved = try movedTo() else { return nil }
                fd = Glibc.open(moved, O_RDONLY | O_CLOEXEC)
                code = errno
            }
            guard fd >= 0 else {
                if code == ENOENT { return nil }
                throw IOError(errnoCode: code, reason: "open")
            }
            var status = stat()
            guard fstat(fd, &status) == 0 else {
                let code = errno
                close(fd)
                throw IOError(errnoCode: code, reason: "fstat")
            }
            let file = MessageFile(descriptor: fd, size: Int(status.st_size))
            return (file, try file.readChunk(offset: 0))
        }
    }

    /// The chunk at `offset`; empty at the end.
    func read(offset: Int, pool: BlockingWorkPool, on eventLoop: EventLoop) -> EventLoopFuture<[UInt8]> {
        pool.run(on: eventLoop) { try self.readChunk(offset: offset) }
    }

    private func readChunk(offset: Int) throws -> [UInt8] {
        let wanted = min(Self.chunkSize, max(0, size - offset))
        guard wanted > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: wanted)
        var filled = 0
        while filled < wanted {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, wanted - filled, off_t(offset + filled))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw IOError(errnoCode: errno, reason: "pread")
            }
            if count == 0 { break }  // the file shrank: send what there is
            filled += count
        }
        return filled == wanted ? bytes : Array(bytes[..<filled])
    }

    deinit { close(descriptor) }
}
