import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file only its owner may read (a DKIM key, the TLS key `init` writes), created durably.
///
/// Why this way: the file is opened as a temporary name with O_CREAT|O_EXCL and mode 0600 from
/// the first byte (a chmod afterwards would leave a window in which the key is readable),
/// written, fsync'd, put in place, and the directory fsync'd so the new name survives a crash.
public enum PrivateKeyFile {
    /// How the file is put in place.
    public enum Placement: Sendable {
        /// link(2): fails with ``DKIMError/keyExists(path:)`` when the name exists.
        case newOnly
        /// rename(2): replaces a file of that name atomically.
        case replacing
    }

    /// Stores `contents` at `path` with mode 0600.
    public static func store(_ contents: [UInt8], at path: String, placement: Placement) throws(DKIMError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/.tmp-\(UUID().uuidString).pem"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: temporary, reason: reason("create", errno)) }
        var failure: DKIMError?
        contents.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .io(path: temporary, reason: reason("write", errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 {
            failure = .io(path: temporary, reason: reason("fsync", errno))
        }
        close(fd)
        if failure == nil {
            switch placement {
            case .newOnly:
                if link(temporary, path) != 0 {
                    let code = errno
                    failure = code == EEXIST ? .keyExists(path: path) : .io(path: path, reason: reason("link", code))
                }
            case .replacing:
                if rename(temporary, path) != 0 { failure = .io(path: path, reason: reason("rename", errno)) }
            }
        }
        // After link(2) the temporary name is a second link; after a rename it is gone.
        unlink(temporary)
        if let failure { throw failure }
        let directoryFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func reason(_ operation: String, _ code: Int32) -> String {
        "\(operation) failed: \(String(cString: strerror(code)))"
    }
}
