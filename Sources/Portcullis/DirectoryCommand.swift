import ArgumentParser
import Config
import Directory
import Foundation
import PostgresDirectory

/// `portcullis directory migrate`: the one way a PostgreSQL directory's schema changes;
/// `portcullis directory copy`: moving a directory to another back end.
struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory", abstract: "The account database itself.",
        subcommands: [Migrate.self, Copy.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the directory's schema up to this version's (safe to run on several nodes at once).")
        @Option(name: .customLong("directory-url"),
                help: "postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=… or sqlite:PATH (default: [directory] url of the configuration).")
        var directoryURL: String?
        @OptionGroup var location: DataLocation

        func run() async throws {
            if let directoryURL {
                let target = try DirectoryMigration.parse(directoryURL)
                try await DirectoryMigration.run(target, password: nil, poolSize: 1)
            } else {
                let configuration = try location.load()
                let password = try configuration.directory.passwordFile.map { try Configuration.readPasswordFile($0) }
                try await DirectoryMigration.run(configuration.directory.location, password: password, poolSize: 1)
            }
        }
    }
}

/// Applying the schema, shared by `directory migrate` and `init --directory-url`.
enum DirectoryMigration {
    /// A `--directory-url` (or `option`) value; a relative SQLite path is relative to the working directory.
    static func parse(_ text: String, option: String = "--directory-url") throws -> DirectoryLocation {
        do {
            return try DirectoryLocation.parse(text) { path in
                path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            }
        } catch {
            throw CLIError("\(option): \(error.message)")
        }
    }

    /// Migrates and says what was done, one line. `password` replaces the URL's when given.
    static func run(_ location: DirectoryLocation, password: String?, poolSize: Int) async throws {
        switch location {
        case .sqlite(let path):
            // SQLite migrates when opened: one process owns the file.
            let directory = try Configuration.openSQLite(path: path)
            let applied = try await directory.appliedMigrations()
            print("\(location): schema current (\(applied.joined(separator: ", ")))")
        case .postgres(let postgres):
            let directory = try Configuration.openPostgres(postgres, password: password ?? postgres.password?.secret, poolSize: poolSize)
            let applied: [Int]
            do {
                applied = try await directory.migrate()
            } catch {
                await directory.shutdown()
                throw CLIError("\(error)")
            }
            await directory.shutdown()
            if applied.isEmpty {
                print("\(location): schema already at version \(PostgresSchema.latestVersion)")
            } else {
                print("\(location): applied schema version\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", ")); now at \(PostgresSchema.latestVersion)")
            }
        }
    }
}
