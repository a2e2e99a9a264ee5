import Foundation
import PostgresDirectory
import TestSupport
@testable import Directory

/// A fresh directory under the system temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/portcullis-directory-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The directory backends the conformance suites run against.
enum Backend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// Opens an empty directory of this kind; `cleanup` closes it and removes its storage.
    func make(hasher: any PasswordHashing = PasswordHasher()) async throws -> (directory: any AccountDirectory, cleanup: @Sendable () async -> Void) {
        switch self {
        case .sqlite:
            let folder = try TemporaryFolder()
            let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite", hasher: hasher)
            return (directory, { folder.remove() })
        case .postgres:
            let directory = try await PostgresDatabase.make().openMigrated(hasher: hasher)
            return (directory, { await directory.shutdown() })
        }
    }
}

/// A fresh database on the test process's PostgreSQL server.
struct PostgresDatabase: Sendable {
    let server: PostgresServer
    let name: String

    static func make() async throws -> PostgresDatabase {
        let server = try await PostgresServer.shared()
        return PostgresDatabase(server: server, name: try server.createDatabase())
    }

    /// The suites check what is stored and decided, not how fast: a generous deadline, so a test
    /// run on a loaded machine (parallel suites, a build) does not fail on the 5 s production one.
    /// The outage tests set their own short deadline.
    var settings: PostgresDirectorySettings {
        var settings = PostgresDirectorySettings(host: server.host, port: server.port, user: server.user,
                                                 password: server.password, database: name, tls: .disable, poolSize: 4)
        settings.operationTimeout = .seconds(30)
        return settings
    }

    /// A directory on this database, not migrated.
    func open(hasher: any PasswordHashing = PasswordHasher()) throws -> PostgresDirectory {
        try PostgresDirectory(settings: settings, hasher: hasher)
    }

    /// A directory on this database with the schema applied.
    func openMigrated(hasher: any PasswordHashing = PasswordHasher()) async throws -> PostgresDirectory {
        let directory = try open(hasher: hasher)
        try await directory.migrate()
        return directory
    }
}

/// Runs `body`, then `cleanup`, also when `body` throws.
func withCleanup<T>(_ cleanup: @Sendable () async -> Void, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}

/// A hasher that records every hash it was asked to verify, to check which path authentication took.
final class RecordingHasher: PasswordHashing, @unchecked Sendable {
    private let inner = PasswordHasher()
    private let lock = NSLock()
    private var _verified: [String] = []
    private var _hashed = 0

    var verifiedHashes: [String] { lock.withLock { _verified } }
    var hashCount: Int { lock.withLock { _hashed } }

    func hash(_ password: Password) throws -> String {
        lock.withLock { _hashed += 1 }
        return try inner.hash(password)
    }

    func verify(_ password: Password, against storedHash: String) -> Bool {
        lock.withLock { _verified.append(storedHash) }
        return inner.verify(password, against: storedHash)
    }

    func canVerify(_ storedHash: String) -> Bool { inner.canVerify(storedHash) }
}
