import ArgumentParser
import Config
import Directory
import Foundation
import PostgresDirectory

extension DirectoryCommand {
    /// `portcullis directory copy --from URL --to URL`: an installation's whole directory into an
    /// empty one on another back end. The rules (empty target, one transaction, verification)
    /// are ``DirectoryCopy``'s; this opens both ends and reports.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a whole directory (password hashes as they are) into an empty one, e.g. SQLite to PostgreSQL.",
            discussion: """
                Copies hosted domains, accounts (stored hash, enabled state, limits, holds, known login \
                addresses), aliases, OP25B exemptions, blocks, locks and rate counters, in one transaction \
                on the target, then reads the target back and compares. Stop the servers using the source \
                first: changes made after the copy starts are not copied.
                """)
        @Option(name: .customLong("from"),
                help: ArgumentHelp("The directory to read: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=….", valueName: "url"))
        var source: String
        @Option(name: .customLong("to"),
                help: ArgumentHelp("The empty directory to fill: sqlite:PATH (created if missing) or a PostgreSQL database already migrated with `portcullis directory migrate --directory-url URL`.", valueName: "url"))
        var target: String
        @Option(name: .customLong("from-password-file"),
                help: ArgumentHelp("PostgreSQL source: the password from this file's first line instead of the URL.", valueName: "file"))
        var sourcePasswordFile: String?
        @Option(name: .customLong("to-password-file"),
                help: ArgumentHelp("PostgreSQL target: the password from this file's first line instead of the URL.", valueName: "file"))
        var targetPasswordFile: String?

        func run() async throws {
            let from = try CopyEnd.Role.source.parse(source, passwordFile: sourcePasswordFile)
            let to = try CopyEnd.Role.target.parse(target, passwordFile: targetPasswordFile)
            guard from.location != to.location else {
                throw CLIError("--from and --to name the same directory (\(from.location))")
            }
            let source = try await CopyEnd.open(from)
            let target: CopyEnd
            do {
                target = try await CopyEnd.open(to)
            } catch {
                await source.close()
                throw error
            }
            let outcome: Result<DirectoryContents, any Error>
            do {
                outcome = .success(try await DirectoryCopy.run(from: source.directory, to: target.directory))
            } catch {
                outcome = .failure(error)
            }
            await source.close()
            await target.close()
            let copied: DirectoryContents
            switch outcome {
            case .success(let contents):
                copied = contents
            case .failure(let error as DirectoryError):
                switch error {
                case .copyMismatch:
                    throw CLIError("--to \(to.location): \(error)")
                case .directoryNotEmpty:
                    throw CLIError("--to \(to.location): \(error); nothing was copied")
                default:
                    throw CLIError("\(error); nothing was copied")
                }
            case .failure(let error):
                throw CLIError("\(error); nothing was copied")
            }
            print("copied \(from.location) to \(to.location):")
            let width = copied.kinds.map(\.name.count).max() ?? 0
            for kind in copied.kinds {
                print("  \(kind.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(kind.count)")
            }
            print("verified: the target read back holds as many of each, every account with its password hash and state")
        }
    }
}

/// One end of a copy, opened: the directory and how to close it.
private struct CopyEnd {
    enum Role: String {
        case source = "--from"
        case target = "--to"

        /// The location and the password to use, from the option's value and its password file.
        func parse(_ text: String, passwordFile: String?) throws -> (location: DirectoryLocation, password: String?, role: Role) {
            let location = try DirectoryMigration.parse(text, option: rawValue)
            guard let passwordFile else { return (location, nil, self) }
            guard case .postgres(let postgres) = location else {
                throw CLIError("\(rawValue)-password-file is for a postgres:// directory, not \(location)")
            }
            guard postgres.password == nil else {
                throw CLIError("\(rawValue) has a password and \(rawValue)-password-file gives another: give one of them")
            }
            return (location, try Configuration.readPasswordFile(passwordFile, option: "\(rawValue)-password-file"), self)
        }
    }

    let directory: any DirectoryTransfer
    let close: @Sendable () async -> Void

    /// Opens one end: a source SQLite file must exist (a typo must not read as an empty
    /// directory); a target one is created. A PostgreSQL end must be reachable and at this
    /// build's schema; the target is never migrated here.
    static func open(_ end: (location: DirectoryLocation, password: String?, role: Role)) async throws -> CopyEnd {
        switch end.location {
        case .sqlite(let path):
            if end.role == .source, !FileManager.default.fileExists(atPath: path) {
                throw CLIError("--from \(end.location): no such file")
            }
            let directory = try Configuration.openSQLite(path: path)
            return CopyEnd(directory: directory, close: {})
        case .postgres(let location):
            let directory = try Configuration.openPostgres(location, password: end.password ?? location.password?.secret, poolSize: 2)
            do {
                try await directory.requireCurrentSchema()
            } catch let mismatch as PostgresSchemaMismatch {
                await directory.shutdown()
                throw CLIError("\(end.role.rawValue) \(location): \(Self.describe(mismatch, role: end.role))")
            } catch {
                await directory.shutdown()
                throw CLIError("\(end.role.rawValue) \(location): \(error)")
            }
            return CopyEnd(directory: directory, close: { await directory.shutdown() })
        }
    }

    /// Why a PostgreSQL end cannot be used, with the command that fixes it.
    private static func describe(_ mismatch: PostgresSchemaMismatch, role: Role) -> String {
        let migrate = "`portcullis directory migrate --directory-url URL` with the \(role.rawValue) URL"
        switch mismatch.status {
        case .empty:
            return "the database has no Portcullis schema; apply it first: \(migrate)"
        case let .behind(applied, latest):
            return "the database is at schema version \(applied), this build needs \(latest); bring it up first: \(migrate)"
        case .ahead, .current:
            return mismatch.description
        }
    }
}
