import ArgumentParser
import Config
import DKIM
import Directory
import SelfSigned
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory: configuration, self-signed TLS certificate, SQLite directory (or a migrated PostgreSQL one).")

    @Option(name: .customLong("data-dir"), help: "Where to create it.")
    var dataDirectory: String = DataLocation.defaultDirectory

    @Option(help: "Host name for the banner, EHLO, Received and the certificate.")
    var hostname: String = "localhost"

    @Option(help: "The unprivileged user `serve` runs as: owns the data directory (mode 0700), written to [process] user.")
    var user: String?

    @Option(name: .customLong("directory-url"),
            help: "A shared PostgreSQL directory, postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…: its schema is applied and the URL written to [directory] url.")
    var directoryURL: String?

    func run() async throws {
        let location = try DataLocation.parse(["--data-dir", dataDirectory])
        if FileManager.default.fileExists(atPath: location.file) {
            throw CLIError("\(location.file) already exists; remove it first or use another --data-dir")
        }
        let serviceUser = try user.map { try ServiceUser.lookup($0) }
        if let directoryURL {
            // The database first: a URL that does not work leaves no half-made data directory.
            let target = try DirectoryMigration.parse(directoryURL)
            guard case .postgres = target else {
                throw CLIError("--directory-url: give a postgres:// URL; without the option init creates an SQLite directory")
            }
            try await DirectoryMigration.run(target, password: nil, poolSize: 1)
        }
        try DataDirectory.create(at: location.directory, hostname: hostname, user: serviceUser, directoryURL: directoryURL)
        print("created \(location.directory)")
    }
}

/// Creates the files of a new data directory.
enum DataDirectory {
    /// With `user`, the directory is made the user's (mode 0700) and the configuration says
    /// `[process] user`, so `serve` started as root runs as that user.
    /// With `directoryURL` (a PostgreSQL directory, already migrated), the configuration names it
    /// and no SQLite file is made.
    static func create(at directory: String, hostname: String, user: ServiceUser? = nil, directoryURL: String? = nil) throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true,
                                      attributes: [.posixPermissions: 0o700])
            // Only the user (root, or the service user below) may enter: it holds keys and mail.
            guard chmod(directory, 0o700) == 0 else { throw CLIError("cannot make \(directory) private: \(String(cString: strerror(errno)))") }
            let pem = try SelfSignedCertificate.make(hostname: hostname)
            try write(pem.certificate, to: directory + "/tls/cert.pem", mode: 0o644)
            do {
                try PrivateKeyFile.store(Array(pem.privateKey.utf8), at: directory + "/tls/key.pem", placement: .replacing)
            } catch {
                throw CLIError("cannot write \(directory)/tls/key.pem: \(error)")
            }
            var configuration = DefaultConfiguration.text(hostname: hostname, directoryURL: directoryURL ?? DefaultConfiguration.sqliteURL)
            if let user {
                configuration += "\n[process]\nuser = \"\(user.name)\"            # serve binds as root, then runs as this user\n"
            }
            try write(configuration, to: directory + "/" + DataLocation.configName, mode: 0o640)
            if directoryURL == nil {
                // Creates the SQLite file and applies the schema migrations.
                _ = try SQLiteDirectory(path: directory + "/directory.sqlite")
            }
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
