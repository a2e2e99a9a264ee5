import Foundation
import Synchronization
@testable import Directory
import Testing

/// A clock the tests move by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    var now: Date { current.withLock { $0 } }

    func advance(seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// The write-behind counters and read caches, on real SQLite files. Two
/// `SQLiteDirectory` objects on one file stand for two server processes sharing a database.
@Suite struct BufferedAbuseStoreTests {
    static let connections = SlidingWindow(windowSeconds: 60, bucketSeconds: 1)
    static let recipients = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)
    static let retention: [AbuseCounter.Name: Int] = [.connections: 62, .messages: 3720, .recipients: 88_000]

    /// One database file, a raw view of it, and `count` buffered stores each on its own connection pool.
    struct Setup {
        let folder: TemporaryFolder
        let raw: SQLiteDirectory
        let buffers: [BufferedAbuseStore]
        let clock = ManualClock()

        init(buffers count: Int = 1, ttl: TimeInterval = 2, idleFlushes: Int = 30) async throws {
            folder = try TemporaryFolder()
            let path = "\(folder.path)/directory.sqlite"
            raw = try SQLiteDirectory(path: path)
            try await raw.addDomain("alato.example")
            try await raw.addUser("taro@alato.example", password: Password("a-long-password-1"))
            let clock = self.clock
            buffers = try (0..<count).map { _ in
                BufferedAbuseStore(wrapping: try SQLiteDirectory(path: path), counters: BufferedAbuseStoreTests.retention,
                                   ttl: ttl, idleFlushes: idleFlushes, clock: { clock.now })
            }
        }

        var buffer: BufferedAbuseStore { buffers[0] }
        var now: Date { clock.now }
        var time: Int { Int(clock.now.timeIntervalSince1970) }
    }

    static let address = AbuseCounter(.connections, .address("203.0.113.9"))
    static let account = AbuseCounter(.recipients, .account("taro@alato.example"))

    func total(_ buckets: [CounterBucket]) -> Int { buckets.reduce(0) { $0 + $1.amount } }

    @Test("a counter is read once, then counted in memory; a flush writes the sum in one go")
    func flushWritesTheAdditions() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        // Two connections already in the store (from before this process started).
        _ = try await setup.raw.add(2, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        #expect(setup.buffer.cachedAdd(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil) == .miss)
        let first = try await setup.buffer.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        #expect(first.admitted && total(first.buckets) == 3)
        setup.clock.advance(seconds: 1)
        guard case .hit(let second) = setup.buffer.cachedAdd(4, to: Self.address, at: setup.now, window: Self.connections, limit: nil) else {
            Issue.record("the loaded counter is not in memory")
            return
        }
        #expect(total(second.buckets) == 7)
        // Nothing written yet…
        #expect(total(try await setup.raw.buckets(of: Self.address, startingAfter: 0)) == 2)
        #expect(setup.buffer.unflushedAdditions == 5)
        // …until the flush, which keeps the buckets apart.
        try await setup.buffer.flush()
        let stored = try await setup.raw.buckets(of: Self.address, startingAfter: 0)
        #expect(stored.map(\.amount) == [3, 4])
        #expect(setup.buffer.unflushedAdditions == 0)
        // A second flush adds nothing twice.
        try await setup.buffer.flush()
        #expect(total(try await setup.raw.buckets(of: Self.address, startingAfter: 0)) == 7)
    }

    @Test("two processes on one database converge after they flush")
    func twoStoresConverge() async throws {
        let setup = try await Setup(buffers: 2)
        defer { setup.folder.remove() }
        let (a, b) = (setup.buffers[0], setup.buffers[1])
        _ = try await a.add(3, to: Self.account, at: setup.now, window: Self.recipients, limit: nil)
        _ = try await b.add(2, to: Self.account, at: setup.now, window: Self.recipients, limit: nil)
        // Each sees only its own additions so far.
        let after = Self.recipients.countedAfter(now: setup.time)
        #expect(a.cachedBuckets(of: Self.account, startingAfter: after) == .hit([CounterBucket(start: Self.recipients.bucket(containing: setup.time), amount: 3)]))
        #expect(total(try await b.buckets(of: Self.account, startingAfter: after)) == 2)
        try await a.flush()
        try await b.flush()   // writes its 2 and reads A's 3 back
        #expect(total(try await b.buckets(of: Self.account, startingAfter: after)) == 5)
        try await a.flush()   // reads B's 2 back
        #expect(total(try await a.buckets(of: Self.account, startingAfter: after)) == 5)
        #expect(total(try await setup.raw.buckets(of: Self.account, startingAfter: after)) == 5)
    }

    @Test("within one process the limit is exact, however many sessions race for it")
    func limitsAreExactInProcess() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let buffer = setup.buffer
        let now = setup.now
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { try await buffer.add(1, to: Self.address, at: now, window: Self.connections, limit: 50).admitted }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 50)
        try await buffer.flush()
        #expect(total(try await setup.raw.buckets(of: Self.address, startingAfter: 0)) == 50)
    }

    @Test("across processes a limit is overshot by at most what arrives within one flush interval")
    func crossProcessOvershootIsBounded() async throws {
        let setup = try await Setup(buffers: 2)
        defer { setup.folder.remove() }
        let (a, b) = (setup.buffers[0], setup.buffers[1])
        var admitted = 0
        // Within one interval both see only their own: each admits up to the limit of 4.
        for _ in 0..<6 {
            if try await a.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: 4).admitted { admitted += 1 }
            if try await b.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: 4).admitted { admitted += 1 }
        }
        #expect(admitted == 8)
        try await a.flush()
        try await b.flush()
        try await a.flush()
        // After the flushes both know the total: nothing more is admitted.
        #expect(try await a.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: 4).admitted == false)
        #expect(try await b.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: 4).admitted == false)
    }

    @Test("windows follow the clock at every call, between flushes too")
    func windowsSlideWithoutAFlush() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        for _ in 0..<3 {
            #expect(try await setup.buffer.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: 3).admitted)
        }
        guard case .hit(let refused) = setup.buffer.cachedAdd(1, to: Self.address, at: setup.now, window: Self.connections, limit: 3) else {
            Issue.record("not in memory")
            return
        }
        #expect(!refused.admitted)
        setup.clock.advance(seconds: 61)
        guard case .hit(let later) = setup.buffer.cachedAdd(1, to: Self.address, at: setup.now, window: Self.connections, limit: 3) else {
            Issue.record("not in memory")
            return
        }
        #expect(later.admitted)
    }

    @Test("a failed flush keeps the additions for the next one")
    func failedFlushKeepsTheAdditions() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let failing = FailingFlushes(setup.raw)
        let buffer = BufferedAbuseStore(wrapping: failing, counters: Self.retention, clock: { setup.clock.now })
        _ = try await buffer.add(2, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        failing.fail(true)
        await #expect(throws: DirectoryError.self) { try await buffer.flush() }
        _ = try await buffer.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        #expect(buffer.unflushedAdditions == 3)
        failing.fail(false)
        try await buffer.flush()
        #expect(total(try await setup.raw.buckets(of: Self.address, startingAfter: 0)) == 3)
        #expect(buffer.unflushedAdditions == 0)
    }

    @Test("idle counters leave memory after some flushes and are read again when used")
    func idleCountersAreDropped() async throws {
        let setup = try await Setup(idleFlushes: 2)
        defer { setup.folder.remove() }
        _ = try await setup.buffer.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        for _ in 0..<3 { try await setup.buffer.flush() }
        #expect(setup.buffer.cachedAdd(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil) == .miss)
        let again = try await setup.buffer.add(1, to: Self.address, at: setup.now, window: Self.connections, limit: nil)
        #expect(total(again.buckets) == 2)
    }

    @Test("unbuffered counters (failed logins) are written through")
    func unbufferedCountersWriteThrough() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let failures = AbuseCounter(.authFailures, .address("203.0.113.9"))
        _ = try await setup.buffer.add(1, to: failures, at: setup.now, window: Self.connections, limit: nil)
        #expect(setup.buffer.cachedAdd(1, to: failures, at: setup.now, window: Self.connections, limit: nil) == .miss)
        #expect(total(try await setup.raw.buckets(of: failures, startingAfter: 0)) == 1)
    }

    @Test("'no block' is cached for the TTL; a block is always read, so an unblock counts at once")
    func blocks() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let subject = AbuseSubject.address("203.0.113.9")
        #expect(setup.buffer.cachedActiveBlock(on: subject, at: setup.now) == .miss)
        #expect(try await setup.buffer.activeBlock(on: subject, at: setup.now) == nil)
        #expect(setup.buffer.cachedActiveBlock(on: subject, at: setup.now) == .hit(nil))
        // Another process blocks it: seen once the cached answer expires.
        try await setup.raw.block(subject, until: setup.now.addingTimeInterval(900), reason: "test", at: setup.now)
        #expect(try await setup.buffer.activeBlock(on: subject, at: setup.now) == nil)
        setup.clock.advance(seconds: 2)
        #expect(try await setup.buffer.activeBlock(on: subject, at: setup.now) != nil)
        #expect(setup.buffer.cachedActiveBlock(on: subject, at: setup.now) == .miss)
        // Another process unblocks it: seen at once.
        try await setup.raw.unblock(subject)
        #expect(try await setup.buffer.activeBlock(on: subject, at: setup.now) == nil)
        // This process blocks it: seen at once.
        try await setup.buffer.block(subject, until: setup.now.addingTimeInterval(900), reason: "test", at: setup.now)
        #expect(setup.buffer.cachedActiveBlock(on: subject, at: setup.now) == .miss)
        #expect(try await setup.buffer.activeBlock(on: subject, at: setup.now) != nil)
    }

    @Test("suspensions: 'not suspended' is cached, a release by another process counts at once")
    func suspensions() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let account = "Taro@alato.example"
        #expect(try await setup.buffer.suspension(of: account) == nil)
        #expect(setup.buffer.cachedSuspension(of: "taro@alato.example") == .hit(nil))
        // Suspended here: seen at once, and not cached while in force.
        #expect(try await setup.buffer.suspend(account, reason: "burst", at: setup.now))
        #expect(try await setup.buffer.suspension(of: account)?.isActive == true)
        #expect(setup.buffer.cachedSuspension(of: account) == .miss)
        // Released by the command line (another process): seen at once.
        try await setup.raw.release(account, at: setup.now)
        let released = try await setup.buffer.suspension(of: account)
        #expect(released?.isActive == false)
        #expect(setup.buffer.cachedSuspension(of: account) == .hit(released))
        // Suspended by another server: seen once the cached answer expires.
        try await setup.raw.suspend(account, reason: "burst", at: setup.now)
        #expect(try await setup.buffer.suspension(of: account)?.isActive == false)
        setup.clock.advance(seconds: 2)
        #expect(try await setup.buffer.suspension(of: account)?.isActive == true)
    }

    @Test("limits are cached for the TTL; local changes count at once")
    func limits() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let account = "taro@alato.example"
        #expect(try await setup.buffer.limits(for: account) == .none)
        #expect(setup.buffer.cachedLimits(for: account) == .hit(.none))
        try await setup.raw.setLimits(AccountLimits(messagesPerHour: 2), for: account)
        #expect(try await setup.buffer.limits(for: account) == .none)
        setup.clock.advance(seconds: 2.5)
        #expect(setup.buffer.cachedLimits(for: account) == .miss)
        #expect(try await setup.buffer.limits(for: account).messagesPerHour == 2)
        try await setup.buffer.setLimits(AccountLimits(messagesPerHour: 7), for: account)
        #expect(try await setup.buffer.limits(for: account).messagesPerHour == 7)
    }

    @Test("the bulk write and read-back of the SQLite store")
    func applyCounterDeltas() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let other = AbuseCounter(.connections, .address("203.0.113.10"))
        let untouched = AbuseCounter(.connections, .address("203.0.113.11"))
        _ = try await setup.raw.add(5, to: Self.address, at: Date(timeIntervalSince1970: 100), window: Self.connections, limit: nil)
        let result = try await setup.raw.applyCounterDeltas(
            [Self.address: [CounterBucket(start: 100, amount: 1), CounterBucket(start: 200, amount: 2)],
             other: [CounterBucket(start: 150, amount: 3)]],
            reading: [Self.address: 0, other: 150, untouched: 0])
        #expect(result[Self.address] == [CounterBucket(start: 100, amount: 6), CounterBucket(start: 200, amount: 2)])
        #expect(result[other] == [])   // only buckets after 150 were asked for
        #expect(result[untouched] == [])
        #expect(try await setup.raw.buckets(of: other, startingAfter: 0) == [CounterBucket(start: 150, amount: 3)])
    }
}

/// An abuse store whose bulk writes fail on demand (everything else is the directory's).
final class FailingFlushes: AbuseStore {
    private let base: SQLiteDirectory
    private let failing = Mutex(false)

    init(_ base: SQLiteDirectory) { self.base = base }

    func fail(_ value: Bool) { failing.withLock { $0 = value } }

    func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]], reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]] {
        if failing.withLock({ $0 }) { throw DirectoryError.storageFailure("disk on fire") }
        return try await base.applyCounterDeltas(deltas, reading: reading)
    }

    func add(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow, limit: Int?) async throws -> CounterAdmission {
        try await base.add(amount, to: counter, at: now, window: window, limit: limit)
    }
    func buckets(of counter: AbuseCounter, startingAfter after: Int) async throws -> [CounterBucket] {
        try await base.buckets(of: counter, startingAfter: after)
    }
    func resetCounter(_ counter: AbuseCounter) async throws { try await base.resetCounter(counter) }
    func pruneCounters(startedBefore before: Int) async throws -> Int { try await base.pruneCounters(startedBefore: before) }
    func block(_ subject: AbuseSubject, until: Date, reason: String, at now: Date) async throws {
        try await base.block(subject, until: until, reason: reason, at: now)
    }
    func activeBlock(on subject: AbuseSubject, at now: Date) async throws -> AbuseBlock? { try await base.activeBlock(on: subject, at: now) }
    func activeBlocks(at now: Date) async throws -> [AbuseBlock] { try await base.activeBlocks(at: now) }
    func unblock(_ subject: AbuseSubject) async throws -> Bool { try await base.unblock(subject) }
    func recordSuccessfulLogin(account: String, client: String, at now: Date) async throws {
        try await base.recordSuccessfulLogin(account: account, client: client, at: now)
    }
    func hasLoggedIn(account: String, client: String) async throws -> Bool { try await base.hasLoggedIn(account: account, client: client) }
    func setLimits(_ limits: AccountLimits, for account: String) async throws { try await base.setLimits(limits, for: account) }
    func limits(for account: String) async throws -> AccountLimits { try await base.limits(for: account) }
    func suspend(_ account: String, reason: String, at now: Date) async throws -> Bool { try await base.suspend(account, reason: reason, at: now) }
    func suspension(of account: String) async throws -> AccountSuspension? { try await base.suspension(of: account) }
    func release(_ account: String, at now: Date) async throws -> Bool { try await base.release(account, at: now) }
    func suspendedAccounts() async throws -> [AccountSuspension] { try await base.suspendedAccounts() }
}
