import Abuse
import Directory
import Foundation
import Logging
import Policy
import Spool
import Synchronization
import Testing

/// The collector with a real SQLite directory and spool: counters in, flagged lines and one
/// notice a day out. The counters are nft JSON in memory, as a `counters_file` would hold.
@Suite struct OP25BCollectorTests {
    /// The nft JSON of attempts4 with `packets` per (source, destination).
    static func listing(_ counts: [(String, String, Int)]) -> Data {
        let elements = counts.map { source, destination, packets in
            #"{"elem": {"val": {"concat": ["\#(source)", "\#(destination)"]}, "counter": {"packets": \#(packets), "bytes": 0}}}"#
        }
        return Data("""
            {"nftables": [{"set": {"family": "inet", "name": "attempts4", "table": "portcullis_op25b", "elem": [\(elements.joined(separator: ","))]}}]}
            """.utf8)
    }

    /// A collector on the fixture's directory (or `store`), spool and clock, sampling `read`.
    static func collector(_ fixture: AbuseFixture, store: (any OP25BAttemptStore)? = nil,
                          read: @escaping @Sendable () async throws -> Data) throws -> OP25BCollector {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return OP25BCollector(
            read: read, store: store ?? fixture.directory, rule: OP25BInfectionRule(), policy: try AbuseFixture.policy(),
            notifier: InfectedLineNotifier(spool: fixture.spool, hostname: "mail.alato.example", contact: "abuse@alato.example"),
            interval: .seconds(60), clock: fixture.clock.clock, logger: logger)
    }

    @Test("150 attempts to 20 destinations flag the line and notify once; 5 attempts do not")
    func flagsAndNotifiesOnce() async throws {
        let fixture = try await AbuseFixture()
        defer { fixture.remove() }
        let counters = Mutex(Self.listing([]))
        let collector = try Self.collector(fixture, read: { counters.withLock { $0 } })
        var tracker = OP25BAttemptTracker()
        #expect(try await collector.sample(&tracker).attempts == 0)

        var infected: [(String, String, Int)] = (1...20).map { ("198.51.100.7", "192.0.2.\($0)", 7) }
        infected[0].2 = 17
        counters.withLock { $0 = Self.listing(infected + [("198.51.100.8", "192.0.2.1", 5)]) }
        fixture.clock.advance(seconds: 60)
        let outcome = try await collector.sample(&tracker)
        #expect(outcome.attempts == 155)
        #expect(outcome.notified.map(\.description) == ["198.51.100.7"])

        let summaries = try await fixture.directory.attemptSummaries(since: fixture.clock.now.addingTimeInterval(-86_400))
        #expect(summaries.map { "\($0.subscriber) \($0.attempts) \($0.destinations)" } == ["198.51.100.7 150 20", "198.51.100.8 5 1"])

        let queued = try fixture.queued()
        #expect(queued.count == 1)
        let notice = try #require(queued.first)
        #expect(notice.envelope.sender == .null)
        #expect(notice.envelope.origin == .infectedLineNotice)
        #expect(notice.envelope.recipients.map(\.path.description) == ["<abuse@alato.example>"])
        let text = String(decoding: try fixture.spool.messageData(of: notice.id), as: UTF8.self)
        #expect(text.contains("Subject: Probably infected subscriber line 198.51.100.7: 150 blocked port-25 attempts"))
        #expect(text.contains("(access network test)"))
        #expect(text.contains("to 20 distinct outside addresses"))
        #expect(text.contains("Auto-Submitted: auto-generated"))

        // More attempts the same day: counted, no second notice.
        infected[0].2 = 30
        counters.withLock { $0 = Self.listing(infected) }
        fixture.clock.advance(seconds: 3600)
        let again = try await collector.sample(&tracker)
        #expect(again.attempts == 13)
        #expect(again.notified.isEmpty)
        #expect(try fixture.queued().count == 1)

        // A day later, still at it: a new notice.
        infected[0].2 = 200
        counters.withLock { $0 = Self.listing(infected) }
        fixture.clock.advance(seconds: 86_400)
        #expect(try await collector.sample(&tracker).notified.isEmpty)  // 170 attempts, 1 destination in the window
        infected = infected.enumerated().map { index, entry in (entry.0, entry.1, entry.2 + (index == 0 ? 0 : 10)) }
        counters.withLock { $0 = Self.listing(infected) }
        fixture.clock.advance(seconds: 60)
        #expect(try await collector.sample(&tracker).notified.map(\.description) == ["198.51.100.7"])
        #expect(try fixture.queued().count == 2)
    }

    @Test("attempts the directory could not store are counted at the next sample, not lost")
    func failedWriteIsRetried() async throws {
        let fixture = try await AbuseFixture()
        defer { fixture.remove() }
        let counters = Mutex(Self.listing([("198.51.100.7", "192.0.2.1", 1)]))
        let store = FailingOnce(fixture.directory)
        let collector = try Self.collector(fixture, store: store, read: { counters.withLock { $0 } })
        var tracker = OP25BAttemptTracker()
        _ = try await collector.sample(&tracker)   // the baseline
        counters.withLock { $0 = Self.listing([("198.51.100.7", "192.0.2.1", 8)]) }
        store.failNextWrite()
        await #expect(throws: FailingOnce.Failure.self) { try await collector.sample(&tracker) }
        let retried = try await collector.sample(&tracker)
        #expect(retried.attempts == 7)
        let summaries = try await fixture.directory.attemptSummaries(since: fixture.clock.now.addingTimeInterval(-86_400))
        #expect(summaries.map(\.attempts) == [7])
    }

    @Test("a notice that cannot be spooled is not claimed: the next sample with attempts sends it")
    func unspooledNoticeIsRetried() async throws {
        let fixture = try await AbuseFixture()
        defer { fixture.remove() }
        let counters = Mutex(Self.listing([]))
        let collector = try Self.collector(fixture, read: { counters.withLock { $0 } })
        var tracker = OP25BAttemptTracker()
        _ = try await collector.sample(&tracker)   // the baseline

        var infected: [(String, String, Int)] = (1...20).map { ("198.51.100.7", "192.0.2.\($0)", 8) }
        counters.withLock { $0 = Self.listing(infected) }
        fixture.clock.advance(seconds: 60)
        // The spool's directory is gone: the notice cannot be written.
        let spoolPath = fixture.spool.directory
        let aside = spoolPath + ".aside"
        try FileManager.default.moveItem(atPath: spoolPath, toPath: aside)
        await #expect(throws: (any Error).self) { try await collector.sample(&tracker) }
        try FileManager.default.moveItem(atPath: aside, toPath: spoolPath)
        #expect(try fixture.queued().isEmpty)

        infected[0].2 += 1
        counters.withLock { $0 = Self.listing(infected) }
        fixture.clock.advance(seconds: 60)
        #expect(try await collector.sample(&tracker).notified.map(\.description) == ["198.51.100.7"])
        #expect(try fixture.queued().count == 1)
    }

    @Test("a listing that cannot be read is an error and leaves the baseline as it was")
    func unreadable() async throws {
        let fixture = try await AbuseFixture()
        defer { fixture.remove() }
        let collector = try Self.collector(fixture, read: { Data("nonsense".utf8) })
        var tracker = OP25BAttemptTracker()
        await #expect(throws: OP25BStats.ParseError.notNFTablesJSON) { try await collector.sample(&tracker) }
        #expect(!tracker.hasBaseline)
    }
}

/// The real directory, with one write refused on demand (a database that hiccups).
private final class FailingOnce: OP25BAttemptStore, Sendable {
    struct Failure: Error {}
    private let base: any OP25BAttemptStore
    private let failing = Mutex(false)

    init(_ base: any OP25BAttemptStore) { self.base = base }

    func failNextWrite() { failing.withLock { $0 = true } }

    func recordAttempts(_ attempts: [OP25BAttemptTracker.Delta], at now: Date) async throws {
        if failing.withLock({ failing in defer { failing = false }; return failing }) { throw Failure() }
        try await base.recordAttempts(attempts, at: now)
    }

    func attemptSummaries(since: Date) async throws -> [OP25BAttemptSummary] { try await base.attemptSummaries(since: since) }

    func attemptSummary(for subscriber: OP25BSubscriber, since: Date) async throws -> OP25BAttemptSummary? {
        try await base.attemptSummary(for: subscriber, since: since)
    }

    func pruneAttempts(before: Date) async throws -> Int { try await base.pruneAttempts(before: before) }

    func claimOffenderNotice(for subscriber: OP25BSubscriber, at now: Date, interval: TimeInterval) async throws -> Bool {
        try await base.claimOffenderNotice(for: subscriber, at: now, interval: interval)
    }

    func releaseOffenderNotice(for subscriber: OP25BSubscriber, claimedAt: Date) async throws {
        try await base.releaseOffenderNotice(for: subscriber, claimedAt: claimedAt)
    }
}
