import Foundation
import Testing
@testable import Spool

/// Held messages (compromised-account hold): queued, visible as held, not lost.
@Suite struct SpoolHoldTests {
    @Test func committedOnHoldIsHeldFromTheMomentItIsVisible() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let writer = try spool.beginMessage()
        try writer.write(sampleMessage(seed: 1))
        // The marker exists before the commit makes the message visible.
        let commit = Task { try await writer.commit(envelope: sampleEnvelope(), held: true) }
        let id = try await commit.value
        #expect(spool.isHeld(id))
        #expect(try spool.list().map(\.isHeld) == [true])
        #expect(folder.names(in: "queue").contains("\(id).hold"))

        let normal = try await spoolMessage(spool, sampleMessage(seed: 2))
        #expect(!spool.isHeld(normal))
        #expect(try spool.list().map(\.isHeld) == [true, false])
    }

    @Test func holdAndReleaseACommittedMessage() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let id = try await spoolMessage(spool, sampleMessage(seed: 3))
        try spool.hold(id)
        try spool.hold(id)
        #expect(spool.isHeld(id))
        try spool.release(id)
        #expect(!spool.isHeld(id))
        try spool.release(id)
        // The message itself is untouched.
        #expect(try storedBytes(spool, id) == sampleMessage(seed: 3))
        #expect(throws: SpoolError.self) { try spool.hold(QueueID("00000000000000")!) }
    }

    @Test func anotherProcessCanReleaseAndDeleteHeldMail() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let owner = try Spool(directory: folder.path)
        defer { owner.close() }
        let first = try await spoolMessage(owner, sampleMessage(seed: 4))
        let second = try await spoolMessage(owner, sampleMessage(seed: 5))
        try owner.hold(first)
        try owner.hold(second)
        let cli = try Spool(directory: folder.path)
        #expect(!cli.isOwner)
        try cli.release(first)
        #expect(!owner.isHeld(first))
        try cli.delete(second)
        #expect(!folder.names(in: "queue").contains("\(second).hold"))
        cli.close()
    }

    @Test func deletionRemovesTheMarker() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let id = try await spoolMessage(spool, sampleMessage(seed: 6))
        try spool.hold(id)
        try spool.delete(id)
        #expect(folder.names(in: "queue").isEmpty)
    }

    @Test func recoveryKeepsHoldsOfMessagesAndRemovesOrphanMarkers() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var spool = try Spool(directory: folder.path)
        let writer = try spool.beginMessage()
        try writer.write(sampleMessage(seed: 7))
        let held = try await writer.commit(envelope: sampleEnvelope(), held: true)
        // A marker left by a commit that never happened (crash between marker and journal).
        let orphan = QueueID("0000000000ZZZZ")!
        #expect(FileManager.default.createFile(atPath: "\(folder.path)/queue/\(orphan).hold", contents: nil))
        spool.simulateCrash()
        spool = try Spool(directory: folder.path)
        defer { spool.close() }
        #expect(spool.isHeld(held))
        #expect(!FileManager.default.fileExists(atPath: "\(folder.path)/queue/\(orphan).hold"))
        #expect((spool.recovery?.removedOrphans ?? 0) >= 1)
    }
}
