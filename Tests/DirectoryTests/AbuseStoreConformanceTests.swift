import Directory
import Foundation
import Testing

/// The abuse-control state, run against every directory backend that keeps it.
@Suite struct AbuseStoreConformanceTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func withStore(_ backend: Backend, _ body: (any AccountDirectory & AbuseStore) async throws -> Void) async throws {
        let (directory, cleanup) = try await backend.make()
        try await withCleanup(cleanup) {
            let store = try #require(directory as? any AccountDirectory & AbuseStore)
            try await store.addDomain("alato.example")
            try await store.addUser("Taro@alato.example", password: Password("a-long-password-1"))
            try await body(store)
        }
    }

    @Test("counters: check-and-add stops at the limit and frees up as the window slides", arguments: Backend.allCases)
    func counterLimit(backend: Backend) async throws {
        try await withStore(backend) { store in
            let counter = AbuseCounter(.connections, .address("203.0.113.9"))
            let window = SlidingWindow(windowSeconds: 60, bucketSeconds: 1)
            for second in 0..<3 {
                let result = try await store.add(1, to: counter, at: Self.t0.addingTimeInterval(Double(second)), window: window, limit: 3)
                #expect(result.admitted)
            }
            let refused = try await store.add(1, to: counter, at: Self.t0.addingTimeInterval(10), window: window, limit: 3)
            #expect(!refused.admitted)
            #expect(window.total(refused.buckets, now: Int(Self.t0.timeIntervalSince1970) + 10) == 3)
            // A refused attempt is not recorded, so the limit releases a window after the first event.
            let later = try await store.add(1, to: counter, at: Self.t0.addingTimeInterval(61), window: window, limit: 3)
            #expect(later.admitted)
            // Another subject has its own count.
            let other = try await store.add(1, to: AbuseCounter(.connections, .address("203.0.113.10")),
                                            at: Self.t0.addingTimeInterval(10), window: window, limit: 3)
            #expect(other.admitted)
        }
    }

    @Test("counters: amounts in one bucket add up; reset and prune remove rows", arguments: Backend.allCases)
    func counterBuckets(backend: Backend) async throws {
        try await withStore(backend) { store in
            let counter = AbuseCounter(.recipients, .account("taro@alato.example"))
            let window = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)
            _ = try await store.add(3, to: counter, at: Self.t0, window: window, limit: nil)
            _ = try await store.add(4, to: counter, at: Self.t0.addingTimeInterval(30), window: window, limit: nil)
            let result = try await store.add(5, to: counter, at: Self.t0.addingTimeInterval(120), window: window, limit: nil)
            let start = window.bucket(containing: Int(Self.t0.timeIntervalSince1970))
            #expect(result.buckets.map(\.amount).reduce(0, +) == 12)
            let stored = try await store.buckets(of: counter, startingAfter: 0)
            #expect(stored.first == CounterBucket(start: start, amount: 7))
            #expect(stored.count == 2)
            // Account subjects are case-insensitive.
            let upper = try await store.buckets(of: AbuseCounter(.recipients, .account("TARO@alato.example")), startingAfter: 0)
            #expect(upper == stored)
            #expect(try await store.pruneCounters(startedBefore: start + 1) == 1)
            #expect(try await store.buckets(of: counter, startingAfter: 0).count == 1)
            try await store.resetCounter(counter)
            #expect(try await store.buckets(of: counter, startingAfter: 0).isEmpty)
        }
    }

    @Test("blocks: in force until their end, listed, lifted", arguments: Backend.allCases)
    func blocks(backend: Backend) async throws {
        try await withStore(backend) { store in
            let address = AbuseSubject.address("203.0.113.9")
            let account = AbuseSubject.account("nobody@alato.example")
            try await store.block(address, until: Self.t0.addingTimeInterval(900), reason: "10 failed logins", at: Self.t0)
            try await store.block(account, until: Self.t0.addingTimeInterval(60), reason: "10 failed logins", at: Self.t0)
            #expect(try await store.activeBlock(on: address, at: Self.t0.addingTimeInterval(899))?.reason == "10 failed logins")
            #expect(try await store.activeBlock(on: address, at: Self.t0.addingTimeInterval(900)) == nil)
            #expect(try await store.activeBlocks(at: Self.t0).map(\.subject) == [account, address])
            #expect(try await store.activeBlocks(at: Self.t0.addingTimeInterval(61)).map(\.subject) == [address])
            #expect(try await store.unblock(address))
            #expect(try await !store.unblock(address))
            #expect(try await store.activeBlock(on: address, at: Self.t0) == nil)
            #expect(AbuseSubject(key: account.key) == account)
        }
    }

    @Test("known login addresses: remembered per existing account only", arguments: Backend.allCases)
    func knownLogins(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await !store.hasLoggedIn(account: "taro@alato.example", client: "198.51.100.7"))
            try await store.recordSuccessfulLogin(account: "taro@ALATO.example", client: "198.51.100.7", at: Self.t0)
            #expect(try await store.hasLoggedIn(account: "Taro@alato.example", client: "198.51.100.7"))
            #expect(try await !store.hasLoggedIn(account: "taro@alato.example", client: "198.51.100.8"))
            try await store.recordSuccessfulLogin(account: "ghost@alato.example", client: "198.51.100.7", at: Self.t0)
            #expect(try await !store.hasLoggedIn(account: "ghost@alato.example", client: "198.51.100.7"))
            try await store.removeUser("taro@alato.example")
            #expect(try await !store.hasLoggedIn(account: "taro@alato.example", client: "198.51.100.7"))
        }
    }

    @Test("per-account limits: set, partial, cleared; unknown accounts and negatives refused", arguments: Backend.allCases)
    func accountLimits(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.limits(for: "taro@alato.example") == .none)
            try await store.setLimits(AccountLimits(messagesPerHour: 5, recipientsPerDay: nil), for: "TARO@alato.example")
            #expect(try await store.limits(for: "taro@alato.example") == AccountLimits(messagesPerHour: 5))
            try await store.setLimits(AccountLimits(messagesPerHour: 0, recipientsPerDay: 40), for: "taro@alato.example")
            #expect(try await store.limits(for: "taro@alato.example") == AccountLimits(messagesPerHour: 0, recipientsPerDay: 40))
            try await store.setLimits(.none, for: "taro@alato.example")
            #expect(try await store.limits(for: "taro@alato.example") == .none)
            await #expect(throws: DirectoryError.userNotFound("ghost@alato.example")) {
                try await store.setLimits(AccountLimits(messagesPerHour: 1), for: "ghost@alato.example")
            }
            await #expect(throws: DirectoryError.invalidLimit(-1)) {
                try await store.setLimits(AccountLimits(messagesPerHour: -1), for: "taro@alato.example")
            }
        }
    }

    @Test("suspension: once until released, listed, release recorded", arguments: Backend.allCases)
    func suspension(backend: Backend) async throws {
        try await withStore(backend) { store in
            #expect(try await store.suspension(of: "taro@alato.example") == nil)
            #expect(try await store.suspend("taro@alato.example", reason: "burst", at: Self.t0))
            #expect(try await !store.suspend("TARO@alato.example", reason: "again", at: Self.t0.addingTimeInterval(5)))
            let active = try #require(try await store.suspension(of: "taro@alato.example"))
            #expect(active.isActive)
            #expect(active.account == "Taro@alato.example")
            #expect(active.reason == "burst")
            #expect(try await store.suspendedAccounts().map(\.account) == ["Taro@alato.example"])
            #expect(try await store.release("taro@alato.example", at: Self.t0.addingTimeInterval(60)))
            #expect(try await !store.release("taro@alato.example", at: Self.t0.addingTimeInterval(61)))
            let released = try #require(try await store.suspension(of: "taro@alato.example"))
            #expect(!released.isActive)
            #expect(released.released == Self.t0.addingTimeInterval(60))
            #expect(try await store.suspendedAccounts().isEmpty)
            // Suspended again later: a new record.
            #expect(try await store.suspend("taro@alato.example", reason: "second burst", at: Self.t0.addingTimeInterval(100)))
            #expect(try await store.suspension(of: "taro@alato.example")?.reason == "second burst")
            await #expect(throws: DirectoryError.userNotFound("ghost@alato.example")) {
                try await store.suspend("ghost@alato.example", reason: "x", at: Self.t0)
            }
        }
    }

    @Test func sqliteAppliesMigrationV2AfterV1() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite")
        #expect(try await directory.appliedMigrations() == ["v1", "v2", "v3"])
    }
}
