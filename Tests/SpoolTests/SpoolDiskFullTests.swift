import Foundation
import TestSupport
import Testing
@testable import Spool

/// A commit that meets a full file system (a real ENOSPC on a small tmpfs made for the test;
/// the tests run as root) fails that message only; the journal stays consistent.
@Suite("Spool: a full disk", .serialized)
struct SpoolDiskFullTests {
    @Test("ENOSPC at commit fails that message; the next commit and a restart see exactly the acknowledged ones")
    func fullDiskFailsOnlyTheMessageThatDoesNotFit() async throws {
        let disk = try SmallFileSystem(megabytes: 2)
        defer { disk.remove() }
        let directory = disk.path + "/spool"
        var spool: Spool? = try Spool(directory: directory)

        let first = sampleMessage(seed: 1)
        let firstID = try await spoolMessage(spool!, first)
        let filler = try disk.fill(leaving: 16 * 1024)

        let refused = sampleMessage(seed: 2, count: 100_000)  // kept in memory: fails in the journal append
        let writer = try spool!.beginMessage()
        try writer.write(refused)
        do {
            try await writer.commit(envelope: sampleEnvelope())
            Issue.record("a commit on a full disk succeeded")
        } catch let error as SpoolError {
            guard case .io(_, _, let code) = error else { Issue.record("unexpected \(error)"); return }
            #expect(code == ENOSPC)
        }
        let big = sampleMessage(seed: 3, count: 400_000)  // spilled to tmp/: fails while written
        #expect(throws: SpoolError.self) { try spoolMessageSync(spool!, big) }
        #expect(try spool!.list().map(\.id) == [firstID])

        unlink(filler)
        let last = sampleMessage(seed: 4, count: 100_000)
        let lastID = try await spoolMessage(spool!, last)
        #expect(Set(try spool!.list().map(\.id)) == [firstID, lastID])

        // A crash now: recovery replays the journal that met the full disk.
        spool!.simulateCrash()
        spool = nil
        let reopened = try Spool(directory: directory)
        defer { reopened.close() }
        #expect(Set(try reopened.list().map(\.id)) == [firstID, lastID])
        #expect(try storedBytes(reopened, firstID) == first)
        #expect(try storedBytes(reopened, lastID) == last)
    }
}

extension SpoolDiskFullTests {
    @Test("a checkpoint that meets a full disk holds back newer segments, so a deletion is never undone")
    func failedCheckpointKeepsNewerSegments() async throws {
        let disk = try SmallFileSystem(megabytes: 2)
        defer { disk.remove() }
        let directory = disk.path + "/spool"
        // Segments close after 0.2 s and are checkpointed at once (resident messages copied out).
        var spool: Spool? = try Spool(directory: directory, options: SpoolOptions(
            maximumSegmentBytes: 64 << 20, maximumSegmentAge: 0.2, maximumResidentAge: 0))
        let id = try await spoolMessage(spool!, sampleMessage(seed: 5, count: 200_000))
        let filler = try disk.fill(leaving: 16 * 1024)
        try await Task.sleep(for: .seconds(1))  // its segment's checkpoint cannot copy it out
        try await spool!.deleteAsync(id)        // the tombstone goes into a newer segment
        try await Task.sleep(for: .seconds(1))  // which must not be checkpointed before the older one
        #expect(try spool!.list().isEmpty)

        spool!.simulateCrash()
        spool = nil
        unlink(filler)
        let reopened = try Spool(directory: directory)
        defer { reopened.close() }
        #expect(try reopened.list().map(\.id) == [], "a deleted message came back at recovery")
    }
}

/// Writes a message that is bigger than the spill threshold; throws where the write fails.
private func spoolMessageSync(_ spool: Spool, _ bytes: [UInt8]) throws {
    let writer = try spool.beginMessage()
    defer { writer.abort() }
    var index = 0
    while index < bytes.count {
        let end = min(bytes.count, index + 65_536)
        try writer.write(bytes[index..<end])
        index = end
    }
}
