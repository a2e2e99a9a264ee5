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

    func run() throws {
        let location = try DataLocation.parse(["--data-dir", dataDirectory])
        if FileManager.default.fileExists(atPath: location.file) {
            throw CLIError("\(location.file) already exists; remove it first or use another --data-dir")
        }
        try DataDirectory.create(at: location.directory, hostname: hostname)
        print("created \(location.directory)")
    }
}

/// Creates the files of a new data directory.
enum DataDirectory {
    static func create(at directory: String, hostname: String) throws {
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true,
                                      attributes: [.posixPermissions: 0o700])
            let pem = try SelfSignedCertificate.make(hostname: hostname)
            try write(pem.certificate, to: directory + "/tls/cert.pem", mode: 0o644)
            try write(pem.privateKey, to: directory + "/tls/key.pem", mode: 0o600)
            try write(DefaultConfiguration.text(hostname: hostname), to: directory + "/" + DataLocation.configName, mode: 0o640)
            // Creates the SQLite file and applies the schema migrations.
            _ = try SQLiteDirectory(path: directory + "/directory.sqlite")
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
