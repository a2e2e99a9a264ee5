import Delivery
import Foundation
import SMTPCore
import Spool
import Testing

struct QueueCensusTests {
    @Test func countsHeldActiveAndDeferredMessagesAndTheOldestAge() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("census-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try Spool(directory: directory)
        defer { spool.close() }
        let now = Date()
        func commit(_ states: [DeliveryState], ageSeconds: TimeInterval) async throws -> QueueID {
            let writer = try spool.beginMessage()
            try writer.write(Array("Subject: census\r\n\r\nbody\r\n".utf8))
            let recipients = states.enumerated().map { index, state in
                SpoolRecipient(path: .mailbox(Mailbox(parsing: "r\(index)@example.net")!), state: state)
            }
            let envelope = SpoolEnvelope(sender: .mailbox(Mailbox(parsing: "s@example.org")!), recipients: recipients,
                                         arrival: now.addingTimeInterval(-ageSeconds), clientAddress: "192.0.2.1",
                                         origin: .received(.submission))
            return try await writer.commit(envelope: envelope)
        }
        _ = try await commit([.pending, .deferred], ageSeconds: 10)
        _ = try await commit([.deferred, .delivered], ageSeconds: 300)
        _ = try await commit([.delivered, .failed], ageSeconds: 900)  // done, about to go: not counted
        let held = try await commit([.pending], ageSeconds: 60)
        try spool.hold(held)

        let census = QueueCensus(try spool.queuedMessages(), now: now)
        #expect(census.active == 1)
        #expect(census.deferred == 1)
        #expect(census.held == 1)
        #expect(abs(census.oldestAgeSeconds - 300) < 1)
        #expect(QueueCensus([], now: now).oldestAgeSeconds == 0)
    }
}
