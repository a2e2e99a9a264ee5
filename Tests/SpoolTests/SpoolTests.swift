import Foundation
import SMTPCore
import Testing
@testable import Spool

@Suite("Spool: write, commit, list, read, delete")
struct SpoolTests {
    @Test("a committed message is listed with its envelope and exact bytes")
    func commitAndRead() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        #expect(spool.isOwner)
        #expect(spool.recovery?.isClean == true)
        #expect(try spool.list().isEmpty)

        let bytes = sampleMessage(seed: 1, count: 300_000)  // several buffer flushes
        let writer = try spool.beginMessage()
        let announced = writer.id
        try writer.write(bytes[0..<100])
        try writer.write(Array(bytes[100...]))
        #expect(writer.size == bytes.count)
        #expect(try spool.list().isEmpty, "nothing is visible before commit")
        let id = try await writer.commit(envelope: sampleEnvelope(recipients: ["taro@alato.example", "user@example.net"]))
        #expect(id == announced)

        let listed = try spool.list()
        #expect(listed.count == 1)
        #expect(listed.first?.id == id)
        #expect(listed.first?.sender == .mailbox(mailbox("hanako@virtual.example")))
        #expect(listed.first?.recipientCount == 2)
        #expect(listed.first?.size == bytes.count)
        #expect(listed.first?.state == .pending)
        #expect(listed.first?.arrival == Date(timeIntervalSince1970: 1_800_000_000.25))
        #expect(try storedBytes(spool, id) == bytes)
        #expect(try spool.messageData(of: id) == Data(bytes))
        #expect(folder.names(in: "tmp").isEmpty)
    }

    @Test("the envelope round-trips with every field")
    func envelopeRoundTrip() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        var expected = sampleEnvelope(recipients: ["taro@alato.example", "Jiro@alato.example", "ü@example.net"])
        let id = try await spoolMessage(spool, sampleMessage(seed: 2), envelope: expected)
        expected.size = 4096
        #expect(try spool.envelope(of: id) == expected)
        #expect(try spool.envelope(of: id.rawValue) == expected)

        var nullSender = sampleEnvelope(sender: "")
        nullSender.ret = nil
        nullSender.envelopeID = nil
        nullSender.heloName = nil
        nullSender.authenticatedAccount = nil
        let bounce = try await spoolMessage(spool, sampleMessage(seed: 3, count: 10), envelope: nullSender)
        nullSender.size = 10
        #expect(try spool.envelope(of: bounce) == nullSender)
    }

    @Test("an empty message can be committed")
    func emptyMessage() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let id = try await spool.beginMessage().commit(envelope: sampleEnvelope())
        #expect(try storedBytes(spool, id).isEmpty)
        #expect(try spool.list().map(\.size) == [0])
    }

    @Test("abort, and dropping a writer, leave nothing behind")
    func abort() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let writer = try spool.beginMessage()
        // Bigger than the in-memory limit: spilled to tmp/.
        try writer.write(sampleMessage(seed: 4, count: 300_000))
        #expect(folder.names(in: "tmp").count == 1)
        writer.abort()
        writer.abort()
        #expect(folder.names(in: "tmp").isEmpty)
        #expect(throws: SpoolError.writerFinished(writer.id)) { try writer.write([1, 2, 3]) }
        await #expect(throws: SpoolError.writerFinished(writer.id)) { try await writer.commit(envelope: sampleEnvelope()) }

        do {
            let dropped = try spool.beginMessage()
            try dropped.write([1, 2, 3])
        }
        #expect(folder.names(in: "tmp").isEmpty)
        #expect(try spool.list().isEmpty)
    }

    @Test("a writer cannot be committed twice")
    func doubleCommit() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let writer = try spool.beginMessage()
        try await writer.commit(envelope: sampleEnvelope())
        await #expect(throws: SpoolError.writerFinished(writer.id)) { try await writer.commit(envelope: sampleEnvelope()) }
        #expect(try spool.list().count == 1)
    }

    @Test("delete removes a message; unknown and malformed IDs are errors")
    func delete() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let first = try await spoolMessage(spool, sampleMessage(seed: 5))
        let second = try await spoolMessage(spool, sampleMessage(seed: 6))
        try spool.delete(first)
        #expect(try spool.list().map(\.id) == [second])
        try await spool.deleteAsync(second)
        #expect(try spool.list().isEmpty)
        #expect(folder.names(in: "queue").isEmpty)
        #expect(throws: SpoolError.notFound(first)) { try spool.delete(first) }
        await #expect(throws: SpoolError.notFound(first)) { try await spool.deleteAsync(first) }
        #expect(throws: SpoolError.notFound(first)) { try spool.envelope(of: first) }
        #expect(throws: SpoolError.notFound(first)) { try spool.messageSource(of: first) }
        #expect(throws: SpoolError.invalidQueueID("../queue")) { try spool.delete("../queue") }
        #expect(throws: SpoolError.invalidQueueID("nope")) { try spool.envelope(of: "nope") }
    }

    @Test("delivery state is stored per recipient and survives reopening")
    func deliveryState() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let retry = Date(timeIntervalSince1970: 1_800_000_600)
        let tryLater = DeliveryReply(Reply(code: 451, enhanced: .init(4, 7, 1), "try later"), remoteHost: "mx.example.net")
        let id: QueueID
        do {
            let spool = try Spool(directory: folder.path)
            id = try await spoolMessage(spool, sampleMessage(seed: 7), envelope: sampleEnvelope(recipients: ["a@alato.example", "b@example.net"]))
            try spool.setDeliveryState([
                RecipientDeliveryStatus(state: .delivered, attempts: 1),
                RecipientDeliveryStatus(state: .deferred, attempts: 1, nextAttempt: retry, lastReply: tryLater),
            ], of: id)
            #expect(try spool.list().first?.state == .deferred)
            #expect(throws: SpoolError.recipientCountMismatch(id, expected: 2, got: 1)) {
                try spool.setDeliveryState([RecipientDeliveryStatus(state: .failed)], of: id)
            }
            spool.close()
        }
        let reopened = try Spool(directory: folder.path)
        let envelope = try reopened.envelope(of: id)
        #expect(envelope.recipients.map(\.state) == [.delivered, .deferred])
        #expect(envelope.recipients[1].nextAttempt == retry)
        #expect(envelope.recipients[1].lastReply == tryLater)
        #expect(envelope.recipients[1].attempts == 1)
        #expect(envelope.recipients[0].notify == .on([.failure, .delay]), "the DSN fields are untouched")
        try reopened.setDeliveryState([RecipientDeliveryStatus(state: .delivered, attempts: 1), RecipientDeliveryStatus(state: .failed, attempts: 2)], of: id)
        #expect(try reopened.list().first?.state == .failed)
        #expect(reopened.recovery?.isClean == true)
    }

    @Test("a second process sees the queue but cannot accept or recover")
    func secondInstance() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let owner = try Spool(directory: folder.path)
        let id = try await spoolMessage(owner, sampleMessage(seed: 8))
        // A second open file description of the lock: flock treats it like another process.
        let reader = try Spool(directory: folder.path)
        #expect(!reader.isOwner)
        #expect(reader.recovery == nil)
        #expect(throws: SpoolError.notOwner(folder.path)) { try reader.beginMessage() }
        // An in-flight transaction of the owner must survive the second open (no recovery ran).
        let inFlight = try owner.beginMessage()
        try inFlight.write(sampleMessage(seed: 9, count: 300_000))
        _ = try Spool(directory: folder.path)
        #expect(folder.names(in: "tmp") == [inFlight.id.rawValue])
        try await inFlight.commit(envelope: sampleEnvelope())
        #expect(try reader.list().map(\.id) == [id, inFlight.id])
        try reader.delete(id)
        #expect(try owner.list().map(\.id) == [inFlight.id])
    }

    @Test("a closed spool refuses new messages")
    func closed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        spool.close()
        #expect(throws: SpoolError.closed) { try spool.beginMessage() }
    }
}
