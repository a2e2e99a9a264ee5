#if canImport(Glibc)
import Glibc
#endif
import Delivery
import Foundation
import Testing

/// Delivery runs on threads of its own at a lower CPU priority, so that sessions waiting for
/// their 250 get the CPU first.
@Suite("Delivery's own threads")
struct DeliveryThreadsTests {
    @Test("a job run on the delivery threads runs at their lower priority; the caller's is unchanged")
    func jobsRunNiced() async throws {
        let threads = DeliveryThreads(threads: 2, niceness: 10)
        defer { Task { try? await threads.shutdown() } }
        let caller = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let inside = await withTaskExecutorPreference(threads) {
            getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        }
        #expect(inside == min(19, caller + 10))
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == caller)
    }

    @Test("the queue manager delivers remote and local mail through them")
    func queueManagerDelivers() async throws {
        let threads = DeliveryThreads(threads: 1, niceness: 10)
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"], threads: threads) { settings in
            settings.scanInterval = .seconds(3600)
        }
        let running = Task { try await fixture.manager.run() }
        try await Task.sleep(for: .milliseconds(200))

        try await fixture.submit(from: "taro@alato.example", to: ["a@example.net", "hanako@alato.example"],
                                 body: sampleMessage())
        #expect(try await eventually { sink.messages().count == 1 })
        #expect(try await eventually { fixture.maildirMessages("hanako@alato.example").count == 1 })
        #expect(try await eventually { (try? fixture.spool.list().isEmpty) == true })
        running.cancel()
        _ = await running.result
        try await threads.shutdown()
    }
}
