import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The unprivileged user `serve` runs as (`[process] user`) and the steps to become it.
///
/// Why: the port-25, submission and web ports are below 1024, which only root may bind; a
/// server that stays root after binding hands everything it parses from the network root's
/// power. `serve` binds every listener as root, makes the data directory the user's, then
/// gives up root for good (setgroups, setgid, setuid, in that order: once the uid is gone it
/// can no longer change its groups) before the first connection is accepted.
struct ServiceUser {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// Looks the user up in the password database; a missing user is a one-line error.
    static func lookup(_ name: String) throws -> ServiceUser {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else {
            throw CLIError("[process] user: no user named \"\(name)\" on this system (create it, e.g. `useradd --system --no-create-home \(name)`)")
        }
        return ServiceUser(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Gives `path` and everything under it to the user (symbolic links are not followed).
    ///
    /// Files root created at start (recovery, the SQLite journal files) must be writable
    /// after the drop. A regular file with more than one link is left alone and reported: it
    /// could be a hard link to a file outside the data directory (`/etc/shadow`), which the
    /// user must not be handed.
    func takeOwnership(of path: String) throws {
        try give(path)
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        while let relative = walker.nextObject() as? String {
            try give(path + "/" + relative)
        }
    }

    private func give(_ path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }  // removed meanwhile
            throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if status.st_uid == uid && status.st_gid == gid { return }
        if (status.st_mode & S_IFMT) == S_IFREG && status.st_nlink > 1 {
            throw CLIError("\(path) has \(status.st_nlink) hard links; refusing to give it to \(name) (remove the extra links)")
        }
        guard lchown(path, uid, gid) == 0 else {
            throw CLIError("cannot give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
    }

    /// Becomes the user for good: supplementary groups, group, then user. Fails unless root
    /// is gone afterwards (a setuid(0) that works means the drop did not happen).
    func becomeForGood() throws {
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw dropFailed("setgroups") }
        guard setgid(gid) == 0 else { throw dropFailed("setgid") }
        guard setuid(uid) == 0 else { throw dropFailed("setuid") }
        guard setuid(0) != 0, getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid else {
            throw CLIError("could not give up root for \(name): the process could still become root; not serving")
        }
    }

    private func dropFailed(_ call: String) -> CLIError {
        CLIError("cannot run as \(name): \(call): \(String(cString: strerror(errno)))")
    }
}
