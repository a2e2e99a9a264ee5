import BlockingWork
import Foundation
import Testing
@testable import Directory

@Suite("SQLiteDirectory specifics")
struct SQLiteDirectoryTests {
    @Test("reopening applies no migration twice and keeps the data")
    func reopen() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = "\(folder.path)/directory.sqlite"
        do {
            let directory = try SQLiteDirectory(path: path)
            #expect(try await directory.appliedMigrations() == ["v1", "v2", "v3"])
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))
        }
        for _ in 0..<2 {
            let reopened = try SQLiteDirectory(path: path)
            #expect(try await reopened.appliedMigrations() == ["v1", "v2", "v3"])
            #expect(try await reopened.listDomains().map(\.name) == ["alato.example"])
            if case .success = try await reopened.authenticate(username: "taro@alato.example", password: Password("pw-taro-1")) {} else {
                Issue.record("the account should survive reopening")
            }
        }
    }

    @Test("the database file is private to its owner (it holds password hashes)")
    func fileMode() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = "\(folder.path)/directory.sqlite"
        _ = try SQLiteDirectory(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(mode & 0o077 == 0, "mode is \(String(mode, radix: 8))")
    }

    @Test("an unreadable location is a storage failure, not a crash")
    func badPath() {
        #expect(throws: DirectoryError.self) { try SQLiteDirectory(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite") }
    }

    @Test("an unknown user is verified against a dummy hash of the same method")
    func dummyVerification() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let hasher = RecordingHasher()
        let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite", hasher: hasher)
        try await directory.addDomain("alato.example")
        try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))

        #expect(try await directory.authenticate(username: "nobody@alato.example", password: Password("guess")) == .invalidCredentials)
        #expect(try await directory.authenticate(username: "no-at-sign", password: Password("guess")) == .invalidCredentials)
        _ = try await directory.authenticate(username: "taro@alato.example", password: Password("guess"))

        let verified = hasher.verifiedHashes
        #expect(verified.count == 3, "every attempt, known user or not, runs exactly one verification")
        #expect(verified.allSatisfy { $0.hasPrefix("$y$") }, "the dummy hash uses the same method as real ones")
        #expect(verified[0] == verified[1], "unknown users share the dummy hash")
        #expect(verified[2] != verified[0], "a known user is checked against their own hash")
    }

    @Test("hashing does not run on the caller's thread")
    func hashingOffCallerThread() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let hasher = ThreadRecordingHasher()
        let pool = BlockingWorkPool(name: "test.hashing", maximumConcurrency: 1)
        let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite", hasher: hasher, workPool: pool)
        try await directory.addDomain("alato.example")
        try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))
        _ = try await directory.authenticate(username: "taro@alato.example", password: Password("pw-taro-1"))
        // The pool has one thread: a job of its own tells which.
        let poolThread = await pool.run { UInt(bitPattern: Int(pthread_self())) }
        #expect(hasher.threads.suffix(2) == [poolThread, poolThread])
    }
}

/// Records the thread each call ran on.
final class ThreadRecordingHasher: PasswordHashing, @unchecked Sendable {
    private let inner = PasswordHasher()
    private let lock = NSLock()
    private var recorded: [UInt] = []
    var threads: [UInt] { lock.withLock { recorded } }

    private func record() {
        let thread = UInt(bitPattern: Int(pthread_self()))
        lock.withLock { recorded.append(thread) }
    }

    func hash(_ password: Password) throws -> String {
        record()
        return try inner.hash(password)
    }

    func verify(_ password: Password, against storedHash: String) -> Bool {
        record()
        return inner.verify(password, against: storedHash)
    }

    func canVerify(_ storedHash: String) -> Bool { inner.canVerify(storedHash) }
}
