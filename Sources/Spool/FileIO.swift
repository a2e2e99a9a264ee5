import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers around the POSIX calls the spool needs.
///
/// Foundation's file APIs do not expose fsync of directories or positioned I/O, and they
/// allocate; the spool's hot path uses these instead.
enum FileIO {
    static func fail(_ operation: String, _ path: String) -> SpoolError {
        .io(operation: operation, path: path, errno: errno)
    }

    static func openFile(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw fail("open", path) }
        }
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    /// Writes all of `bytes` at `offset` (or at the current position when nil).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64? = nil, path: String) throws {
        var done = 0
        while done < bytes.count {
            let pointer = bytes.baseAddress! + done
            let remaining = bytes.count - done
            let result: Int
            if let offset {
                result = pwrite(fd, pointer, remaining, off_t(offset + UInt64(done)))
            } else {
                result = write(fd, pointer, remaining)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw fail("write", path)
            }
            done += result
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: UInt64? = nil, path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, at: offset, path: path) }
    }

    /// Reads up to `buffer.count` octets at `offset`; returns how many were read (0 at end of file).
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String) throws -> Int {
        while true {
            let result = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if result >= 0 { return result }
            if errno != EINTR { throw fail("read", path) }
        }
    }

    /// Reads exactly `count` octets at `offset`, or returns nil if the file ends first.
    static func readExactly(_ fd: Int32, count: Int, at offset: UInt64, path: String) throws -> [UInt8]? {
        var result = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = try result.withUnsafeMutableBytes { buffer in
                try readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + UInt64(done), path: path)
            }
            if got == 0 { return nil }
            done += got
        }
        return result
    }

    /// fsync(2): data and metadata of the file are on stable storage.
    static func sync(_ fd: Int32, path: String) throws {
        while fsync(fd) != 0 {
            if errno != EINTR { throw fail("fsync", path) }
        }
    }

    /// fdatasync(2): data, and the metadata needed to read it back (the size), are on stable storage.
    static func dataSync(_ fd: Int32, path: String) throws {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw fail("fdatasync", path) }
        }
    }

    /// Makes the entries of a directory (creations, renames, removals) durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try openFile(path, O_RDONLY | O_DIRECTORY)
        defer { closeFile(fd) }
        try sync(fd, path: path)
    }

    /// syncfs(2) on Linux: flushes every dirty page and the journal of the file system holding
    /// `fd` in one call. Looked up at run time because Glibc's module map hides it (it is a GNU
    /// extension). Returns false when unavailable, so the caller falls back to fsync per file.
    static func syncFileSystem(_ fd: Int32) -> Bool {
        guard let function = syncfsFunction else { return false }
        return function(fd) == 0
    }

    private typealias SyncFS = @convention(c) (Int32) -> Int32
    private static let syncfsFunction: SyncFS? = {
        #if os(Linux)
        guard let symbol = dlsym(nil, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: SyncFS.self)
        #else
        return nil
        #endif
    }()

    static func renameFile(_ from: String, _ to: String) throws {
        if rename(from, to) != 0 { throw fail("rename to \(to)", from) }
    }

    /// Removes a file; a file that is already gone is not an error.
    static func unlinkIfPresent(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw fail("unlink", path) }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func size(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw fail("stat", path) }
        return Int(info.st_size)
    }

    static func size(of fd: Int32, path: String) throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail("fstat", path) }
        return UInt64(info.st_size)
    }

    static func truncate(_ fd: Int32, to length: UInt64, path: String) throws {
        if ftruncate(fd, off_t(length)) != 0 { throw fail("ftruncate", path) }
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw fail("mkdir", path) }
    }

    /// The names in a directory, without `.` and `..`.
    static func entries(of path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw fail("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Reads a whole (small) file.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try openFile(path, O_RDONLY)
        defer { closeFile(fd) }
        let length = try size(of: fd, path: path)
        guard let bytes = try readExactly(fd, count: Int(length), at: 0, path: path) else {
            throw SpoolError.corrupt(path: path, reason: "it shrank while being read")
        }
        return bytes
    }

    /// Creates `path` with `bytes` through a temporary name and a rename, so readers see the old
    /// file or the new one, never a mix. With `durable`, fsyncs the file before and the
    /// directory after the rename.
    static func replaceFile(_ path: String, with bytes: [UInt8], temporaryPath: String, durable: Bool, directory: String) throws {
        let fd = try openFile(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: temporaryPath)
            if durable { try sync(fd, path: temporaryPath) }
            closeFile(fd)
        } catch {
            closeFile(fd)
            _ = unlink(temporaryPath)
            throw error
        }
        try renameFile(temporaryPath, path)
        if durable { try syncDirectory(directory) }
    }

    /// Creates the empty file `path` (a marker, a request) if it is missing and makes it and
    /// its entry in `directory` durable: fsyncs the file, then the directory.
    static func createEmptyDurably(_ path: String, directory: String) throws {
        let fd = try openFile(path, O_WRONLY | O_CREAT)
        do {
            try sync(fd, path: path)
            closeFile(fd)
        } catch {
            closeFile(fd)
            throw error
        }
        try syncDirectory(directory)
    }
}
