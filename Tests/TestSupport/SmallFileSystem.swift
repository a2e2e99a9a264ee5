#if canImport(Glibc)
import Glibc
#endif

/// A tmpfs of a few MiB mounted for one test, so a full disk is a real ENOSPC from the kernel.
/// Needs root (the test suite runs as root); without it the test fails, never skips.
public struct SmallFileSystem {
    /// The mount point (a fresh directory).
    public let path: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Mounts a tmpfs of `megabytes` MiB on a new directory under /tmp.
    public init(megabytes: Int) throws {
        var template = Array("/tmp/portcullis-small-fs-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "mkdtemp: \(String(cString: strerror(errno)))") }
        path = String(cString: made)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0700") == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw Failure(description: "mount tmpfs on \(path): \(reason) (the test needs root)")
        }
    }

    /// Unmounts (everything on it goes) and removes the mount point.
    public func remove() {
        _ = umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// Octets an unprivileged writer may still use.
    public func freeSpace() -> UInt64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return 0 }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    /// Writes `<path>/filler` so that about `leave` octets stay free; returns its path.
    @discardableResult
    public func fill(leaving leave: UInt64) throws -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "create \(filler): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var remaining = freeSpace() > leave ? freeSpace() - leave : 0
        while remaining > 0 {
            let count = Int(min(UInt64(chunk.count), remaining))
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, count) }
            guard written > 0 else { throw Failure(description: "write \(filler): \(String(cString: strerror(errno)))") }
            remaining -= UInt64(written)
        }
        return filler
    }
}
