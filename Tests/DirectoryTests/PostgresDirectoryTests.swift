import Directory
import Foundation
import PostgresDirectory
import SMTPCore
import TestSupport
import Testing

/// What only a shared PostgreSQL directory has: several servers ("nodes") on one database,
/// migrations run by several nodes at once, and a database that goes away and comes back.
/// The behaviour both back ends share is in the conformance suites.
@Suite struct PostgresDirectoryTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Two directories on one migrated database, as two nodes would open it.
    func withTwoNodes(_ body: (PostgresDirectory, PostgresDirectory) async throws -> Void) async throws {
        let database = try await PostgresDatabase.make()
        let first = try await database.openMigrated()
        let second = try database.open()
        try await withCleanup({ await first.shutdown(); await second.shutdown() }) {
            try await second.requireCurrentSchema()
            try await body(first, second)
        }
    }

    @Test("two nodes share a counter limit: concurrent check-and-adds admit exactly the limit")
    func sharedCounterLimit() async throws {
        try await withTwoNodes { nodeA, nodeB in
            let counter = AbuseCounter(.messages, .account("taro@alato.example"))
            let window = SlidingWindow(windowSeconds: 3600, bucketSeconds: 60)
            let limit = 10
            // 15 attempts on each node at once, all in the same second: only 10 may pass.
            let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for attempt in 0..<30 {
                    let node = attempt.isMultiple(of: 2) ? nodeA : nodeB
                    group.addTask { try await node.add(1, to: counter, at: Self.t0, window: window, limit: limit).admitted }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == limit)
            let total = window.total(try await nodeB.buckets(of: counter, startingAfter: 0), now: Int(Self.t0.timeIntervalSince1970))
            #expect(total == limit)
            // Each node now refuses the next one.
            #expect(try await !nodeA.add(1, to: counter, at: Self.t0.addingTimeInterval(1), window: window, limit: limit).admitted)
            #expect(try await !nodeB.add(1, to: counter, at: Self.t0.addingTimeInterval(1), window: window, limit: limit).admitted)
        }
    }

    @Test("two nodes flushing write-behind deltas at once add up, without deadlock")
    func concurrentFlushes() async throws {
        try await withTwoNodes { nodeA, nodeB in
            let start = Int(Self.t0.timeIntervalSince1970)
            let counters = (0..<20).map { AbuseCounter(.recipients, .account("user\($0)@alato.example")) }
            // Both nodes touch every counter, in opposite orders, several times over.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<5 {
                    for (node, order) in [(nodeA, counters), (nodeB, counters.reversed())] {
                        group.addTask {
                            var deltas: [AbuseCounter: [CounterBucket]] = [:]
                            for counter in order { deltas[counter] = [CounterBucket(start: start + 60 * round, amount: 1)] }
                            _ = try await node.applyCounterDeltas(deltas, reading: [:])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let read = try await nodeA.applyCounterDeltas([:], reading: Dictionary(uniqueKeysWithValues: counters.map { ($0, 0) }))
            for counter in counters {
                #expect(read[counter]?.map(\.amount).reduce(0, +) == 10, "\(counter)")
            }
        }
    }

    @Test("a block set on one node is in force on the other; an unblock on the other lifts it")
    func sharedBlock() async throws {
        try await withTwoNodes { nodeA, nodeB in
            let address = AbuseSubject.address("203.0.113.9")
            try await nodeA.block(address, until: Self.t0.addingTimeInterval(900), reason: "10 failed logins", at: Self.t0)
            #expect(try await nodeB.activeBlock(on: address, at: Self.t0.addingTimeInterval(1))?.reason == "10 failed logins")
            #expect(try await nodeB.unblock(address))
            #expect(try await nodeA.activeBlock(on: address, at: Self.t0.addingTimeInterval(2)) == nil)
        }
    }

    @Test("two nodes suspending one account at once: exactly one reports a new suspension")
    func suspensionReportedOnce() async throws {
        try await withTwoNodes { nodeA, nodeB in
            try await nodeA.addDomain("alato.example")
            try await nodeA.addUser("taro@alato.example", password: Password("pw-taro-1"))
            async let fromA = nodeA.suspend("taro@alato.example", reason: "burst", at: Self.t0)
            async let fromB = nodeB.suspend("TARO@alato.example", reason: "burst", at: Self.t0)
            let reports = try await [fromA, fromB]
            #expect(reports.filter { $0 }.count == 1)
            #expect(try await nodeB.suspendedAccounts().map(\.account) == ["taro@alato.example"])
        }
    }

    @Test("a user added on one node at the same time as on the other: one succeeds, the other is told it exists")
    func concurrentAddUser() async throws {
        try await withTwoNodes { nodeA, nodeB in
            try await nodeA.addDomain("alato.example")
            async let fromA: Result<Account, DirectoryError> = Self.result { try await nodeA.addUser("taro@alato.example", password: Password("pw-1")) }
            async let fromB: Result<Account, DirectoryError> = Self.result { try await nodeB.addUser("Taro@alato.example", password: Password("pw-2")) }
            let results = await [fromA, fromB]
            #expect(results.filter { if case .success = $0 { true } else { false } }.count == 1)
            #expect(results.contains { if case .failure(.userAlreadyExists) = $0 { true } else { false } })
            #expect(try await nodeB.listUsers().count == 1)
        }
    }

    static func result<T>(_ body: () async throws -> T) async -> Result<T, DirectoryError> {
        do {
            return .success(try await body())
        } catch let error as DirectoryError {
            return .failure(error)
        } catch {
            return .failure(.storageFailure("\(error)"))
        }
    }

    // MARK: Schema

    @Test("two migrations at once (two nodes running `directory migrate`): the advisory lock applies each version once")
    func concurrentMigrations() async throws {
        let database = try await PostgresDatabase.make()
        let first = try database.open()
        let second = try database.open()
        try await withCleanup({ await first.shutdown(); await second.shutdown() }) {
            #expect(try await first.schemaStatus() == .empty)
            async let appliedByFirst = first.migrate()
            async let appliedBySecond = second.migrate()
            let applied = try await [appliedByFirst, appliedBySecond]
            #expect(applied.flatMap { $0 } == Array(1...PostgresSchema.latestVersion))
            #expect(try await first.schemaStatus() == .current)
            #expect(try await second.migrate() == [])
            try await first.requireCurrentSchema()
        }
    }

    @Test("an unmigrated or newer schema is refused in one line naming the fix; a newer one is never migrated")
    func schemaMismatch() async throws {
        let database = try await PostgresDatabase.make()
        let directory = try database.open()
        try await withCleanup({ await directory.shutdown() }) {
            await #expect(throws: PostgresSchemaMismatch.self) { try await directory.requireCurrentSchema() }
            do {
                try await directory.requireCurrentSchema()
            } catch {
                let line = "\(error)"
                #expect(line.contains("no Portcullis schema; run `portcullis directory migrate`"))
                #expect(!line.contains("\n"))
                #expect(!line.contains(database.server.password))
            }
            try await directory.migrate()
            let newer = PostgresSchema.latestVersion + 1
            try database.server.psql(database: database.name, "INSERT INTO schema_version (version, name) VALUES (\(newer), 'future')")
            #expect(try await directory.schemaStatus() == .ahead(applied: newer, latest: PostgresSchema.latestVersion))
            await #expect(throws: DirectoryError.self) { try await directory.migrate() }
        }
    }

    // MARK: Outage

    @Test("the database going away: operations fail as a temporary directory outage (451 4.4.3) and succeed again when it is back")
    func outageAndRecovery() async throws {
        // A server of its own: stopping the shared one would fail the other tests.
        let server = try PostgresServer.start()
        let name = try server.createDatabase()
        var settings = PostgresDirectorySettings(host: server.host, port: server.port, user: server.user, password: server.password,
                                                 database: name, tls: .disable, poolSize: 2)
        settings.operationTimeout = .seconds(2)
        let directory = try PostgresDirectory(settings: settings)
        try await withCleanup({ await directory.shutdown() }) {
            try await directory.migrate()
            try await directory.addDomain("alato.example")

            try server.stopServer()
            let failure = await Self.result { try await directory.isHostedDomain("alato.example") }
            guard case .failure(let error) = failure, case .storageFailure(let message) = error else {
                Issue.record("expected a storage failure, got \(failure)")
                return
            }
            #expect(error.reply == .directoryUnavailable)
            #expect(error.reply.code == 451)
            #expect(error.reply.enhanced?.description == "4.4.3")
            #expect(!message.contains(server.password))
            #expect(!message.contains("\n"))

            try server.startServer()
            // The pool retries with a growing back-off; it must come back by itself.
            var recovered = false
            for _ in 0..<60 where !recovered {
                recovered = (try? await directory.isHostedDomain("alato.example")) == true
                if !recovered { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(recovered)
        }
    }

    @Test("a database that stops answering without closing its connections: the operation fails at its deadline, and works again after")
    func unresponsiveDatabase() async throws {
        let server = try PostgresServer.start()
        let name = try server.createDatabase()
        var settings = PostgresDirectorySettings(host: server.host, port: server.port, user: server.user, password: server.password,
                                                 database: name, tls: .disable, poolSize: 2)
        settings.operationTimeout = .seconds(2)
        let directory = try PostgresDirectory(settings: settings)
        try await withCleanup({ try? server.signalAll(SIGCONT); await directory.shutdown() }) {
            try await directory.migrate()
            try await directory.addDomain("alato.example")
            #expect(try await directory.isHostedDomain("alato.example"))

            try server.signalAll(SIGSTOP)
            let started = ContinuousClock.now
            let failure = await Self.result { try await directory.isHostedDomain("alato.example") }
            let waited = ContinuousClock.now - started
            guard case .failure(.storageFailure(let message)) = failure else {
                Issue.record("expected a storage failure, got \(failure)")
                return
            }
            #expect(message.contains("within 2 s"), "\(message)")
            #expect(waited < .seconds(4))

            try server.signalAll(SIGCONT)
            var recovered = false
            for _ in 0..<60 where !recovered {
                recovered = (try? await directory.isHostedDomain("alato.example")) == true
                if !recovered { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(recovered)
        }
    }
}
