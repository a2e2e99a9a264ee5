import Foundation
import SMTPCore
import Testing
@testable import Spool

/// The fast path: a small message lives in its journal record until its segment is
/// checkpointed, and is copied out to `queue/` only if it is still queued then.
@Suite("Messages resident in the journal")
struct ResidentMessageTests {
    @Test("a small message is acknowledged, listed, read and deleted without files of its own")
    func residentLifecycle() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let id = try await spoolMessage(spool, sampleMessage(seed: 1))
        #expect(folder.names(in: "queue").isEmpty)
        #expect(folder.names(in: "tmp").isEmpty)
        #expect(try spool.list().map(\.id) == [id])
        #expect(try storedBytes(spool, id) == sampleMessage(seed: 1))
        #expect(try spool.envelope(of: id).size == 4096)

        // Delivery state is kept on disk (it must survive a crash) and seen through the envelope.
        let statuses = [RecipientDeliveryStatus(state: .deferred, attempts: 1, lastReply: DeliveryReply(Reply(code: 451, "try later")))]
        try spool.setDeliveryState(statuses, of: id)
        #expect(try spool.envelope(of: id).recipients.map(\.state) == [.deferred])

        try await spool.deleteAsync(id)
        #expect(try spool.list().isEmpty)
        #expect(folder.names(in: "queue").isEmpty, "the state file goes with the message")
        #expect(throws: SpoolError.notFound(id)) { try spool.openMessage(id) }
        spool.close()
        // The deletion was journaled: nothing comes back.
        let reopened = try Spool(directory: folder.path)
        #expect(try reopened.list().isEmpty)
    }

    @Test("a checkpoint copies a still-queued message out; a reader opened before keeps reading")
    func checkpointMovesOut() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 0.5, maximumResidentAge: 0.5))
        let id = try await spoolMessage(spool, sampleMessage(seed: 2, count: 10_000))
        let statuses = [RecipientDeliveryStatus(state: .deferred, attempts: 1, lastReply: DeliveryReply(Reply(code: 451, "try later")))]
        try spool.setDeliveryState(statuses, of: id)
        let early = try spool.openMessage(id)
        #expect(try early.read(upToCount: 100) == Array(sampleMessage(seed: 2, count: 10_000)[0..<100]))

        // The idle committer closes the old segment within about a second; the checkpoint follows.
        for _ in 0..<100 where !folder.names(in: "journal").isEmpty || !spool.resident.all().isEmpty {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(folder.names(in: "journal").isEmpty)
        #expect(Set(folder.names(in: "queue")) == ["\(id)", "\(id).envelope", "\(id).state"])
        #expect(try early.readAll() == Array(sampleMessage(seed: 2, count: 10_000)[100...]))
        #expect(try storedBytes(spool, id) == sampleMessage(seed: 2, count: 10_000))
        #expect(try spool.envelope(of: id).recipients.map(\.state) == [.deferred])
        spool.close()
        let reopened = try Spool(directory: folder.path)
        #expect(reopened.recovery?.isClean == true)
        #expect(try storedBytes(reopened, id) == sampleMessage(seed: 2, count: 10_000))
    }

    @Test("a message bigger than the memory limit is spilled and published as files")
    func spilled() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let big = sampleMessage(seed: 3, count: SpoolWriter.spillThreshold + 1)
        let id = try await spoolMessage(spool, big, chunk: 65_536)
        #expect(Set(folder.names(in: "queue")) == ["\(id)", "\(id).envelope"])
        #expect(try storedBytes(spool, id) == big)
    }

    @Test("another process lists, shows and holds a message that is still in the owner's journal")
    func secondProcessReadsTheJournal() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let owner = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let id = try await spoolMessage(owner, sampleMessage(seed: 4))
        let other = try Spool(directory: folder.path)
        #expect(!other.isOwner)
        #expect(try other.list().map(\.id) == [id])
        #expect(try storedBytes(other, id) == sampleMessage(seed: 4))
        #expect(try other.envelope(of: id).sender == sampleEnvelope().sender)
        try other.hold(id)
        #expect(try owner.list().first?.isHeld == true)
        // Deleted by the owner: the journal's deletion record hides it from the other process too.
        try await owner.deleteAsync(id)
        #expect(try other.list().isEmpty)
    }
}
