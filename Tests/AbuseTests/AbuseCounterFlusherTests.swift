import Directory
import Foundation
import Logging
@testable import Abuse
import Testing

/// The flusher writes the buffered counters periodically and once more when it is stopped.
@Suite struct AbuseCounterFlusherTests {
    @Test func flushesPeriodicallyAndWhenStopped() async throws {
        let fixture = try await AbuseFixture(store: .buffered)
        defer { fixture.remove() }
        let buffer = try #require(fixture.buffer)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let flusher = AbuseCounterFlusher(store: buffer, interval: .milliseconds(20), logger: logger)
        let running = Task { try await flusher.run() }
        let counter = AbuseCounter(.connections, .address("203.0.113.5"))
        _ = try await buffer.add(1, to: counter, at: fixture.clock.now, window: AbuseRules.connectionWindow, limit: nil)
        // Periodic: written without anyone asking.
        let deadline = ContinuousClock.now + .seconds(10)
        while try await fixture.directory.buckets(of: counter, startingAfter: 0).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await fixture.directory.buckets(of: counter, startingAfter: 0).map(\.amount) == [1])
        // Stopped: what was counted since is written on the way out.
        _ = try await buffer.add(2, to: counter, at: fixture.clock.now, window: AbuseRules.connectionWindow, limit: nil)
        running.cancel()
        try await running.value
        #expect(try await fixture.directory.buckets(of: counter, startingAfter: 0).map(\.amount) == [3])
        #expect(buffer.unflushedAdditions == 0)
    }
}
