import Delivery
import Foundation
import Spool
import Testing

/// The running queue manager is told about each commit and each operator request by the
/// spool: nothing waits for the periodic scan, which is set to an hour here.
@Suite("Delivery starts when the spool announces a commit")
struct QueueAnnouncementTests {
    @Test("a committed message is delivered without a scan; so is the DSN it causes")
    func commitStartsDelivery() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"]) { settings in
            settings.scanInterval = .seconds(3600)
        }
        let running = Task { try await fixture.manager.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))   // the start-up scan found an empty spool

        try await fixture.submit(from: "taro@alato.example", to: ["a@example.net"], body: sampleMessage())
        #expect(try await eventually { sink.messages().count == 1 })
        #expect(try await eventually { (try? fixture.spool.list().isEmpty) == true })

        // A local recipient that does not exist fails; its bounce is a commit too, delivered to taro.
        try await fixture.submit(from: "taro@alato.example", to: ["nobody@alato.example"], body: sampleMessage())
        #expect(try await eventually { fixture.maildirMessages("taro@alato.example").count == 1 })
    }

    @Test("mail committed while a connection to its destination is open goes out on it")
    func idleConnectionCarriesLaterMail() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"]) { settings in
            settings.scanInterval = .seconds(3600)
            settings.maximumConnectionsPerDestination = 1
            settings.connectionIdleTime = .seconds(30)
        }
        let running = Task { try await fixture.manager.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))

        // Each message is delivered before the next is committed: without the idle connection
        // every one would open its own.
        for index in 0..<4 {
            try await fixture.submit(from: "taro@alato.example", to: ["r\(index)@example.net"], body: sampleMessage(subject: "m\(index)"))
            #expect(try await eventually { sink.messages().count == index + 1 })
        }
        #expect(fixture.log.count("session opened") == 1, "expected one connection")
        #expect(try await eventually { (try? fixture.spool.list().isEmpty) == true })
    }

    @Test("an operator request is carried out without waiting for the scan")
    func requestStartsAScan() async throws {
        let closed = SmtpSink.ClosedPort()   // nothing listens: the message is deferred
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"]) { settings in
            settings.scanInterval = .seconds(3600)
        }
        let running = Task { try await fixture.manager.run() }
        defer { running.cancel() }
        let id = try await fixture.submit(from: "taro@alato.example", to: ["later@example.net"], body: sampleMessage())
        #expect(try await eventually { (try? fixture.spool.envelope(of: id).recipients[0].state) == .deferred })

        let cli = try Spool(directory: fixture.spool.directory)
        try cli.submit(.bounce(id))
        cli.close()
        #expect(try await eventually { !fixture.spool.contains(id) })
        #expect(try await eventually { fixture.maildirMessages("taro@alato.example").count == 1 })
    }

    @Test("resume and release act at once, without a scan")
    func resumeAndReleaseAct() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"]) { settings in
            settings.scanInterval = .seconds(3600)
        }
        let cli = try Spool(directory: fixture.spool.directory)
        defer { cli.close() }
        try cli.submit(.pause)
        let running = Task { try await fixture.manager.run() }
        defer { running.cancel() }
        let held = try await fixture.submit(from: "taro@alato.example", to: ["held@example.net"], body: sampleMessage())
        try fixture.spool.hold(held)
        try await fixture.submit(from: "taro@alato.example", to: ["paused@example.net"], body: sampleMessage())
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.messages().isEmpty)

        try cli.resume()
        #expect(try await eventually { sink.messages().count == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(sink.messages().count == 1 && fixture.spool.contains(held))

        try cli.release(held)
        #expect(try await eventually { sink.messages().count == 2 })
        #expect(try await eventually { fixture.spool.pendingRequests().isEmpty })
    }

    @Test("a deferred recipient is tried again when its next attempt comes, without a scan")
    func retryAtItsTime() async throws {
        let closed = SmtpSink.ClosedPort()   // nothing listens: every attempt is deferred
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"]) { settings in
            settings.scanInterval = .seconds(3600)
            settings.retry = RetrySchedule(initialDelay: 0.3, multiplier: 1, maximumDelay: 0.3)
        }
        // The manager's clock is the test's: it moves with the real one here.
        let started = Date()
        let base = fixture.clock.read()
        let ticking = Task {
            while !Task.isCancelled {
                fixture.clock.advance(Date().timeIntervalSince(started) - fixture.clock.read().timeIntervalSince(base))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { ticking.cancel() }
        let running = Task { try await fixture.manager.run() }
        defer { running.cancel() }
        let id = try await fixture.submit(from: "taro@alato.example", to: ["later@example.net"], body: sampleMessage())
        #expect(try await eventually { ((try? fixture.spool.envelope(of: id).recipients[0].attempts) ?? 0) >= 3 })
    }
}
