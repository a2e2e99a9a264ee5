import Foundation
import Spool
import Testing
@testable import MaildirStore

/// What `portcullis mailbox list|purge` sees: messages in new/ and cur/, never tmp/.
@Suite("MaildirInventory")
struct MaildirInventoryTests {
    static let day: TimeInterval = 86_400

    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-inventory-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func put(_ text: String, at path: String, modified: Date? = nil) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if let modified {
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }
    }

    @Test("A Maildir nothing was delivered to is empty")
    func missing() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inventory = try MaildirInventory(Maildir(path: "\(root)/nobody/Maildir", hostname: "h"))
        #expect(inventory.count == 0)
        #expect(inventory.totalSize == 0)
        #expect(inventory.oldest == nil)
        #expect(try inventory.purge(deliveredBefore: Date()) == .init(count: 0, size: 0))
    }

    @Test("Counts new/ and cur/ by delivery time; tmp/ and dot files are not messages")
    func listAndPurge() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "mail.alato.example")
        // A delivery through the real code path: its unique name carries now.
        let source = "\(root)/source"
        try put("Subject: new\r\n\r\nfresh\r\n", at: source)
        let delivered = try maildir.deliver(from: .file(source), headerLines: [])
        let now = Date()
        let fortyDaysAgo = Int(now.timeIntervalSince1970 - 40 * Self.day)
        try put("Subject: seen\n\nold\n", at: "\(maildir.path)/cur/\(fortyDaysAgo).M1P2Q3.other.example:2,S",
                modified: now)  // the name decides, not the (recent) mtime
        let fiftyDaysAgo = now.addingTimeInterval(-50 * Self.day)
        try put("no time in this name", at: "\(maildir.path)/new/legacy", modified: fiftyDaysAgo)
        try put("being written", at: "\(maildir.path)/tmp/\(fortyDaysAgo).M9P9Q9.h")
        try put("not a message", at: "\(maildir.path)/cur/.hidden")

        let inventory = try MaildirInventory(maildir)
        #expect(inventory.count == 3)
        let sizes = try [delivered, "\(maildir.path)/cur/\(fortyDaysAgo).M1P2Q3.other.example:2,S", "\(maildir.path)/new/legacy"]
            .map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int }
        #expect(inventory.totalSize == sizes.reduce(0, +))
        #expect(Int(inventory.oldest!.timeIntervalSince1970) == Int(fiftyDaysAgo.timeIntervalSince1970))
        #expect(inventory.messages.map(\.subdirectory) == ["new", "cur", "new"])

        let purged = try inventory.purge(deliveredBefore: now.addingTimeInterval(-30 * Self.day))
        #expect(purged == .init(count: 2, size: sizes[1] + sizes[2]))
        let left = try MaildirInventory(maildir)
        #expect(left.messages.map { "\(maildir.path)/\($0.subdirectory)/\($0.name)" } == [delivered])
        #expect(FileManager.default.fileExists(atPath: "\(maildir.path)/tmp/\(fortyDaysAgo).M9P9Q9.h"))
        #expect(FileManager.default.fileExists(atPath: "\(maildir.path)/cur/.hidden"))
    }

    @Test("A name's leading seconds are its delivery time when plausible", arguments: [
        ("1733500000.M12P3Q4.host", 1_733_500_000.0),
        ("1733500000.M12P3Q4.host:2,RS", 1_733_500_000.0),
        ("legacy", 42.0),                       // no time: the modification time
        ("12.M1P1.host", 42.0),                 // before 1990: not a Maildir time
        ("99999999999.M1P1.host", 42.0),        // far in the future
        ("17335x0000.M1.host", 42.0),
        ("", 42.0),
    ])
    func deliveryTime(name: String, expected: TimeInterval) {
        let now = Date(timeIntervalSince1970: 1_765_000_000)
        let modified = Date(timeIntervalSince1970: 42)
        #expect(MaildirInventory.deliveryTime(name: name, modified: modified, now: now).timeIntervalSince1970 == expected)
    }
}
