import Directory
import Foundation
import Policy
import Testing

/// The blocked-attempt window, run against every directory backend.
@Suite struct OP25BAttemptStoreConformanceTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // a bucket start (divisible by 600)

    func withStore(_ backend: Backend, _ body: (any OP25BAttemptStore) async throws -> Void) async throws {
        let (directory, cleanup) = try await backend.make()
        try await withCleanup(cleanup) {
            try await body(try #require(directory as? any OP25BAttemptStore))
        }
    }

    static func delta(_ source: String, _ destination: String, _ attempts: Int) throws -> OP25BAttemptTracker.Delta {
        OP25BAttemptTracker.Delta(subscriber: OP25BSubscriber(address: try IPAddress(source)),
                                  destination: try IPAddress(destination), attempts: attempts)
    }

    @Test("attempts add up per subscriber; destinations are counted once; first and last seen", arguments: Backend.allCases)
    func summaries(backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.recordAttempts([try Self.delta("192.0.2.10", "198.51.100.1", 3),
                                            try Self.delta("192.0.2.10", "198.51.100.2", 2),
                                            try Self.delta("2001:db8:1:2::a", "2001:db8:ff::25", 1)], at: Self.t0)
            try await store.recordAttempts([try Self.delta("192.0.2.10", "198.51.100.1", 4)], at: Self.t0.addingTimeInterval(60))
            // Another bucket, an hour later.
            try await store.recordAttempts([try Self.delta("192.0.2.10", "198.51.100.3", 1)], at: Self.t0.addingTimeInterval(3600))

            let all = try await store.attemptSummaries(since: Self.t0.addingTimeInterval(-86_400))
            #expect(all.map(\.subscriber.description) == ["192.0.2.10", "2001:db8:1:2::/64"])
            let first = try #require(all.first)
            #expect(first.attempts == 10)
            #expect(first.destinations == 3)
            #expect(first.firstSeen == Self.t0)
            #expect(first.lastSeen == Self.t0.addingTimeInterval(3600))

            let one = try await store.attemptSummary(for: OP25BSubscriber(address: try IPAddress("2001:db8:1:2::ffff")),
                                                     since: Self.t0.addingTimeInterval(-86_400))
            #expect(one?.attempts == 1)
            #expect(try await store.attemptSummary(for: OP25BSubscriber(address: try IPAddress("192.0.2.99")), since: Self.t0) == nil)
        }
    }

    @Test("the window slides: old buckets stop counting, and pruning removes them", arguments: Backend.allCases)
    func window(backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.recordAttempts([try Self.delta("192.0.2.10", "198.51.100.1", 60)], at: Self.t0)
            let day = Self.t0.addingTimeInterval(86_400)
            try await store.recordAttempts([try Self.delta("192.0.2.10", "198.51.100.2", 5)], at: day)
            // A day after the first sample the first bucket still starts inside the window…
            #expect(try await store.attemptSummaries(since: day.addingTimeInterval(-86_400)).first?.attempts == 65)
            // …and ten minutes later it has left it.
            let later = day.addingTimeInterval(600)
            let summary = try #require(try await store.attemptSummaries(since: later.addingTimeInterval(-86_400)).first)
            #expect(summary.attempts == 5)
            #expect(summary.destinations == 1)
            #expect(summary.firstSeen == day)
            #expect(try await store.pruneAttempts(before: later.addingTimeInterval(-86_400)) == 1)
            #expect(try await store.attemptSummaries(since: Self.t0.addingTimeInterval(-86_400)).map(\.attempts) == [5])
        }
    }

    @Test("one notice claim per subscriber per interval", arguments: Backend.allCases)
    func noticeClaims(backend: Backend) async throws {
        try await withStore(backend) { store in
            let subscriber = OP25BSubscriber(address: try IPAddress("192.0.2.10"))
            let other = OP25BSubscriber(address: try IPAddress("2001:db8:1:2::a"))
            #expect(try await store.claimOffenderNotice(for: subscriber, at: Self.t0, interval: 86_400))
            #expect(try await !store.claimOffenderNotice(for: subscriber, at: Self.t0.addingTimeInterval(3600), interval: 86_400))
            #expect(try await store.claimOffenderNotice(for: other, at: Self.t0.addingTimeInterval(3600), interval: 86_400))
            #expect(try await store.claimOffenderNotice(for: subscriber, at: Self.t0.addingTimeInterval(86_400), interval: 86_400))
            #expect(try await !store.claimOffenderNotice(for: subscriber, at: Self.t0.addingTimeInterval(86_401), interval: 86_400))
        }
    }

    @Test("a released claim can be taken again; releasing an older claim leaves a newer one", arguments: Backend.allCases)
    func noticeRelease(backend: Backend) async throws {
        try await withStore(backend) { store in
            let subscriber = OP25BSubscriber(address: try IPAddress("192.0.2.10"))
            #expect(try await store.claimOffenderNotice(for: subscriber, at: Self.t0, interval: 86_400))
            try await store.releaseOffenderNotice(for: subscriber, claimedAt: Self.t0)
            let later = Self.t0.addingTimeInterval(60)
            #expect(try await store.claimOffenderNotice(for: subscriber, at: later, interval: 86_400))
            try await store.releaseOffenderNotice(for: subscriber, claimedAt: Self.t0)
            #expect(try await !store.claimOffenderNotice(for: subscriber, at: later.addingTimeInterval(60), interval: 86_400))
        }
    }
}
