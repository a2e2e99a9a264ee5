import Directory
import Foundation
import MaildirStore
import SMTPCore
import Spool
import TestSupport
import Testing
@testable import Delivery

/// Local delivery onto a full file system (a real ENOSPC on a small tmpfs) waits for space:
/// deferred with 4.3.1, never bounced; once space is freed the same delivery succeeds.
@Suite("Local delivery: a full disk", .serialized)
struct LocalDeliveryDiskFullTests {
    @Test func fullMailboxDiskDefersWithMailSystemFull() async throws {
        let disk = try SmallFileSystem(megabytes: 1)
        defer { disk.remove() }
        let work = NSTemporaryDirectory() + "portcullis-local-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let directory = try SQLiteDirectory(path: work + "/directory.sqlite")
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addUser("taro@alato.example", passwordHash: QueueFixture.hash)
        let message = work + "/message"
        try Data(("Subject: full\r\n\r\n" + String(repeating: "x", count: 200_000) + "\r\n").utf8)
            .write(to: URL(fileURLWithPath: message))
        let agent = LocalDeliveryAgent(directory: directory, store: MaildirMailStore(
            root: disk.path + "/mailboxes", hostname: "mail.alato.example"))
        let envelope = SpoolEnvelope(sender: .mailbox(mailbox("a@example.net")),
                                     recipients: [SpoolRecipient(mailbox("taro@alato.example"))],
                                     clientAddress: "127.0.0.1", origin: .received(.relay), size: 200_021)

        let filler = try disk.fill(leaving: 32 * 1024)
        let full = try #require(await agent.deliver(.file(message), envelope: envelope, recipients: [mailbox("taro@alato.example")]).first)
        #expect(full.result.kind == .deferred)
        #expect(full.result.reply.code == 451)
        #expect(full.result.reply.enhanced == EnhancedStatusCode(4, 3, 1))

        unlink(filler)
        let freed = try #require(await agent.deliver(.file(message), envelope: envelope, recipients: [mailbox("taro@alato.example")]).first)
        #expect(freed.result.kind == .delivered)
        let maildir = try #require(Maildir.path(root: disk.path + "/mailboxes", account: "taro@alato.example"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: maildir + "/new").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: maildir + "/tmp").isEmpty)
    }
}
