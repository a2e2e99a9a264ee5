import ArgumentParser
import Config
import Directory
import SMTPServer
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory: configuration, self-signed TLS certificate, SQLite directory.")

    @Option(name: .customLong("data-dir"), help: "Where to create it.")
    var dataDirectory: String = DataLocation.defaultDirectory

    @Option(help: "Host name for the banner, EHLO, Received and the certificate.")
    var hostname: String = "localhost"

    @Option(help: "The unprivileged user `serve` runs as: owns the data directory (mode 0700), written to [process] user.")
    var user: String?

    func run() throws {
        let location = try DataLocation.parse(["--data-dir", dataDirectory])
        if FileManager.default.fileExists(atPath: location.file) {
            throw CLIError("\(location.file) already exists; remove it first or use another --data-dir")
        }
        let serviceUser = try user.map { try ServiceUser.lookup($0) }
        try DataDirectory.create(at: location.directory, hostname: hostname, user: serviceUser)
        print("created \(location.directory)")
    }
}

/// Creates the files of a new data directory.
enum DataDirectory {
    /// With `user`, the directory is made the user's (mode 0700) and the configuration says
    /// `[process] user`, so `serve` started as root runs as that user.
    static func create(at directory: String, hostname: String, user: ServiceUser? = nil) throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true,
                                      attributes: [.posixPermissions: 0o700])
            // Only the user (root, or the service user below) may enter: it holds keys and mail.
            guard chmod(directory, 0o700) == 0 else { throw CLIError("cannot make \(directory) private: \(String(cString: strerror(errno)))") }
            let pem = try SelfSignedCertificate.make(hostname: hostname)
            try write(pem.certificate, to: directory + "/tls/cert.pem", mode: 0o644)
            try PrivateFile.create(directory + "/tls/key.pem", contents: Array(pem.privateKey.utf8))
            var configuration = DefaultConfiguration.text(hostname: hostname)
            if let user {
                configuration += "\n[process]\nuser = \"\(user.name)\"            # serve binds as root, then runs as this user\n"
            }
            try write(configuration, to: directory + "/" + DataLocation.configName, mode: 0o640)
            // Creates the SQLite file and applies the schema migrations.
            _ = try SQLiteDirectory(path: directory + "/directory.sqlite")
            try user?.takeOwnership(of: directory)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    private static func write(_ text: String, to path: String, mode: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw CLIError("cannot write \(path)")
        }
    }
}

/// A file only its owner may read (a private key), written atomically.
enum PrivateFile {
    /// Creates `path` with mode 0600 from the first byte: a temporary name opened with
    /// O_CREAT|O_EXCL and the mode (never a chmod afterwards, which would leave a window where
    /// the key is readable), written, fsync'd, renamed into place, and the directory fsync'd.
    static func create(_ path: String, contents: [UInt8]) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = folder + "/.tmp-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("create", temporary) }
        var ok = contents.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
        var error = ok ? nil : failure("write", temporary)
        if ok, fsync(fd) != 0 { ok = false; error = failure("fsync", temporary) }
        close(fd)
        if ok, rename(temporary, path) != 0 { ok = false; error = failure("rename to", path) }
        guard ok else {
            unlink(temporary)
            throw error!
        }
        let directoryFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private static func failure(_ operation: String, _ path: String) -> CLIError {
        CLIError("cannot \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
