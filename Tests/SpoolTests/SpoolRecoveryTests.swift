import Foundation
import Testing
@testable import Spool

/// Crash safety, simulated: `simulateCrash()` stops the spool the way `kill -9` would (no
/// checkpoint, journal left behind), and the tests then damage the files as a crash at an
/// unlucky moment could. Reopening must restore every acknowledged message and show nothing
/// partial. (The interop suite kills the real server with SIGKILL.)
@Suite("Spool recovery after a crash")
struct SpoolRecoveryTests {
    @Test("leftovers of unfinished transactions in tmp/ are removed on open")
    func temporaryGarbage() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let committed: QueueID
        do {
            let spool = try Spool(directory: folder.path)
            committed = try await spoolMessage(spool, sampleMessage(seed: 1))
            let unfinished = try spool.beginMessage()
            try unfinished.write(sampleMessage(seed: 2, count: 300_000))  // spilled to tmp/
            spool.simulateCrash()
            // The process died: the writer never aborts. Keep it alive past the reopen below.
            withExtendedLifetime(unfinished) {}
            try Data("stray".utf8).write(to: URL(fileURLWithPath: "\(folder.path)/tmp/0000000000000Z.envelope"))
            #expect(folder.names(in: "tmp").count == 2)
            let reopened = try Spool(directory: folder.path)
            #expect(folder.names(in: "tmp").isEmpty)
            #expect(reopened.recovery?.removedTemporaryFiles == 2)
            #expect(try reopened.list().map(\.id) == [committed])
            #expect(try storedBytes(reopened, committed) == sampleMessage(seed: 1))
            withExtendedLifetime(unfinished) {}
        }
    }

    @Test("a message acknowledged but not yet in queue/ is restored from the journal")
    func restoreFromJournal() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        var ids: [QueueID] = []
        for seed in 0..<5 { ids.append(try await spoolMessage(spool, sampleMessage(seed: seed, count: 5000 + seed))) }
        spool.simulateCrash()
        #expect(!folder.names(in: "journal").isEmpty, "the journal is the only durable copy before a checkpoint")
        // Small messages live in the journal until a checkpoint copies them out; the crash came
        // in the middle of one: a truncated data file, and one without its envelope.
        #expect(folder.names(in: "queue").isEmpty)
        let queue = "\(folder.path)/queue"
        try Data().write(to: URL(fileURLWithPath: "\(queue)/\(ids[1])"))
        try Data("partial".utf8).write(to: URL(fileURLWithPath: "\(queue)/\(ids[2])"))

        let reopened = try Spool(directory: folder.path)
        #expect(Set(reopened.recovery?.restoredMessages ?? []) == Set(ids))
        #expect(try reopened.list().map(\.id) == ids)
        for (seed, id) in ids.enumerated() {
            #expect(try storedBytes(reopened, id) == sampleMessage(seed: seed, count: 5000 + seed))
            #expect(try reopened.envelope(of: id).size == 5000 + seed)
        }
        #expect(folder.names(in: "journal").isEmpty)
    }

    @Test("a record torn by the crash is ignored; earlier ones are restored")
    func tornRecord() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let kept = try await spoolMessage(spool, sampleMessage(seed: 10))
        let torn = try await spoolMessage(spool, sampleMessage(seed: 11))
        spool.simulateCrash()
        // Pretend the crash hit while the second record was being appended, before its sync:
        // the record is cut short (neither message has files in queue/: they were resident).
        let segment = "\(folder.path)/journal/\(try #require(folder.names(in: "journal").first))"
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        let length = try handle.seekToEnd()
        try handle.truncate(atOffset: length - 100)
        try handle.close()
        #expect(folder.names(in: "queue").isEmpty)

        let reopened = try Spool(directory: folder.path)
        #expect(reopened.recovery?.restoredMessages == [kept])
        #expect(try reopened.list().map(\.id) == [kept])
        #expect(try storedBytes(reopened, kept) == sampleMessage(seed: 10))
    }

    @Test("a journaled deletion is not undone by replay")
    func deletionSurvives() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let gone = try await spoolMessage(spool, sampleMessage(seed: 20))
        let stays = try await spoolMessage(spool, sampleMessage(seed: 21))
        try await spool.deleteAsync(gone)
        spool.simulateCrash()
        let reopened = try Spool(directory: folder.path)
        #expect(try reopened.list().map(\.id) == [stays])
        #expect(reopened.recovery?.restoredMessages == [stays])
    }

    @Test("half-published files without an envelope are removed")
    func orphans() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let id: QueueID
        do {
            let spool = try Spool(directory: folder.path)
            id = try await spoolMessage(spool, sampleMessage(seed: 30))
            spool.close()
        }
        #expect(folder.names(in: "journal").isEmpty, "a clean close checkpoints the journal")
        let queue = "\(folder.path)/queue"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: "\(queue)/0000000000001A"))
        try Data("[]".utf8).write(to: URL(fileURLWithPath: "\(queue)/0000000000002B.state"))
        let reopened = try Spool(directory: folder.path)
        #expect(reopened.recovery?.removedOrphans == 2)
        #expect(folder.names(in: "queue") == [id.rawValue, "\(id).envelope"])
        #expect(try reopened.list().map(\.id) == [id])
    }

    @Test("a checkpoint makes queue files stand alone and removes the segment")
    func checkpoint() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentBytes: 1, maximumResidentAge: 0))
        let id = try await spoolMessage(spool, sampleMessage(seed: 40))
        spool.committer?.waitForCheckpoints()
        #expect(folder.names(in: "journal").isEmpty)
        #expect(spool.statistics.checkpoints >= 1)
        spool.simulateCrash()
        let reopened = try Spool(directory: folder.path)
        #expect(reopened.recovery?.isClean == true)
        #expect(try storedBytes(reopened, id) == sampleMessage(seed: 40))
    }
}
