import Config
import Directory
import Foundation
import PostgresDirectory

extension Configuration {
    /// Opens the account directory named by `[directory] url`. A PostgreSQL directory must be at
    /// this build's schema: servers and commands never migrate it (`portcullis directory migrate`).
    func openDirectory() async throws -> any AccountDirectory {
        switch directory.location {
        case .sqlite(let path):
            return try Self.openSQLite(path: path)
        case .postgres(let location):
            let postgres = try openPostgres(location)
            do {
                try await postgres.requireCurrentSchema()
            } catch {
                throw CLIError("\(error)")
            }
            return postgres
        }
    }

    /// The SQLite directory at `path`, created and migrated if need be (one process owns it).
    static func openSQLite(path: String) throws -> SQLiteDirectory {
        do {
            return try SQLiteDirectory(path: path)
        } catch {
            throw CLIError("cannot open the directory sqlite:\(path): \(error)")
        }
    }

    /// A PostgreSQL directory with `[directory] password_file` and `pool_size` applied; no
    /// connection is made yet.
    func openPostgres(_ location: PostgresLocation) throws -> PostgresDirectory {
        var password = location.password?.secret
        if let file = directory.passwordFile {
            password = try Self.readPasswordFile(file)
        }
        return try Self.openPostgres(location, password: password, poolSize: directory.poolSize)
    }

    static func openPostgres(_ location: PostgresLocation, password: String?, poolSize: Int) throws -> PostgresDirectory {
        let tls: PostgresDirectorySettings.TLSMode
        switch location.sslMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer
        case .require: tls = .require
        case .verifyFull: tls = .verifyFull
        }
        let settings = PostgresDirectorySettings(
            host: location.host, port: location.port, user: location.user, password: password,
            database: location.database, tls: tls, poolSize: poolSize)
        do {
            return try PostgresDirectory(settings: settings)
        } catch {
            throw CLIError("cannot open the directory \(location): \(error)")
        }
    }

    /// The first line of `[directory] password_file` (or of the file given to `option`); a
    /// trailing newline is not part of it.
    static func readPasswordFile(_ path: String, option: String = "[directory] password_file") throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(option) \(path): cannot read it")
        }
        let password = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard !password.isEmpty else { throw CLIError("\(option) \(path): the first line is empty") }
        return password
    }
}

/// Runs a directory operation, turning its errors into one-line CLI errors.
func withDirectory<T>(_ location: DataLocation, _ body: (any AccountDirectory) async throws -> T) async throws -> T {
    let directory = try await location.load().openDirectory()
    do {
        return try await body(directory)
    } catch let error as CLIError {
        throw error
    } catch {
        throw CLIError("\(error)")
    }
}

/// Reads a password from standard input (one line; the trailing newline is not part of it).
func readPasswordFromStdin() throws -> Password {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError("no password on standard input; e.g. `echo 'secret' | portcullis user add ADDRESS --password-stdin`")
    }
    return Password(line)
}
