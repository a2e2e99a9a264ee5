import Foundation
import Spool
import Testing
@testable import MaildirStore

@Suite("Maildrop (POP3 over a Maildir)")
struct MaildropTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-maildrop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func deliver(_ text: String, to maildir: Maildir, in root: String) throws -> String {
        let source = "\(root)/source-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: source))
        return try maildir.deliver(from: .file(source), headerLines: [])
    }

    private func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test("Opening moves new mail to cur with :2, info, keeps existing flags, and lists oldest first")
    func open() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "mail.alato.example")
        try maildir.create()
        // A message another reader flagged seen, written without size fields, older than the rest.
        let seen = "\(root)/Maildir/cur/1000000000.M1P1Q1.old:2,S"
        try Data("Subject: old\n\nseen\n".utf8).write(to: URL(fileURLWithPath: seen))
        let first = try deliver("Subject: one\r\n\r\nbody\r\n", to: maildir, in: root)
        let second = try deliver("Subject: two\r\n\r\n.dot\r\n", to: maildir, in: root)

        let maildrop = try Maildrop.open(path: "\(root)/Maildir")
        #expect(try names("\(root)/Maildir/new").isEmpty)
        let cur = try names("\(root)/Maildir/cur")
        #expect(cur.count == 3)
        #expect(cur.contains("1000000000.M1P1Q1.old:2,S"))
        for delivered in [first, second] {
            let name = MaildirFileName(parsing: String(delivered.split(separator: "/").last!))
            #expect(cur.contains(name.inCur.description))
            #expect(name.inCur.description.hasSuffix(":2,"))
        }
        #expect(maildrop.messages.map(\.uniqueID) == [
            "1000000000.M1P1Q1.old",
            MaildirFileName(parsing: String(first.split(separator: "/").last!)).uniqueName,
            MaildirFileName(parsing: String(second.split(separator: "/").last!)).uniqueName,
        ])
        // CRLF sizes: counted for the file without W=, from the name for the others.
        #expect(maildrop.messages.map(\.wireSize) == [
            "Subject: old\r\n\r\nseen\r\n".utf8.count, "Subject: one\r\n\r\nbody\r\n".utf8.count, "Subject: two\r\n\r\n.dot\r\n".utf8.count,
        ])
        // Stable: a second opening lists the same ids and sizes.
        let again = try Maildrop.open(path: "\(root)/Maildir")
        #expect(again.messages.map(\.uniqueID) == maildrop.messages.map(\.uniqueID))
        #expect(again.messages.map(\.wireSize) == maildrop.messages.map(\.wireSize))
    }

    @Test("A Maildir that does not exist is an empty maildrop")
    func missing() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try Maildrop.open(path: "\(root)/nobody/Maildir").messages.isEmpty)
    }

    @Test("Removing unlinks only the given messages; one already gone is not an error")
    func remove() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "h")
        for index in 0..<3 { _ = try deliver("Subject: \(index)\n\nx\n", to: maildir, in: root) }
        let maildrop = try Maildrop.open(path: "\(root)/Maildir")
        unlink(maildrop.messages[2].path)
        try maildrop.remove([maildrop.messages[0], maildrop.messages[2]])
        #expect(try names("\(root)/Maildir/cur") == [String(maildrop.messages[1].path.split(separator: "/").last!)])
    }

    @Test("A message another reader flagged during the session is found and removed under its new name")
    func flaggedMeanwhile() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "h")
        for index in 0..<2 { _ = try deliver("Subject: \(index)\n\nx\n", to: maildir, in: root) }
        let maildrop = try Maildrop.open(path: "\(root)/Maildir")
        // An IMAP server marks message 1 seen: same unique name, `:2,S` (Maildir spec).
        let flagged = maildrop.messages[0].path + "S"
        #expect(rename(maildrop.messages[0].path, flagged) == 0)
        #expect(try maildrop.currentPath(of: maildrop.messages[0]) == flagged)
        #expect(try maildrop.currentPath(of: maildrop.messages[1]) == maildrop.messages[1].path)
        try maildrop.remove([maildrop.messages[0]])
        #expect(!FileManager.default.fileExists(atPath: flagged))
        #expect(try names("\(root)/Maildir/cur") == [String(maildrop.messages[1].path.split(separator: "/").last!)])
        #expect(try maildrop.currentPath(of: maildrop.messages[0]) == nil)
    }

    @Test("Of two files with the same unique name, the one whose name sorts first keeps the plain unique-id")
    func duplicateUniqueNames() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cur = "\(root)/Maildir/cur"
        try FileManager.default.createDirectory(atPath: cur, withIntermediateDirectories: true)
        // Copies (a restored backup): the same unique name with other flags. Whatever order
        // the directory lists them in, the unique-ids must be the same in every session.
        let uniqueNames = (0..<8).map { "17334400\($0)0.M\($0)P1Q1.host" }
        for unique in uniqueNames {
            for info in ["2,S", "2,"] {
                try Data("Subject: x\n\nx\n".utf8).write(to: URL(fileURLWithPath: "\(cur)/\(unique):\(info)"))
            }
        }
        let messages = try Maildrop.open(path: "\(root)/Maildir").messages
        #expect(messages.count == 16)
        for unique in uniqueNames {
            let plain = messages.first { $0.uniqueID == unique }
            #expect(plain?.path == "\(cur)/\(unique):2,", "\(unique)")
            #expect(messages.contains { $0.path == "\(cur)/\(unique):2,S" && $0.uniqueID.hasPrefix("~") })
        }
    }

    @Test("Directories in cur/ and new/ are not messages: the maildrop opens and lists only the files")
    func directoriesAreSkipped() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "mail.alato.example")
        try maildir.create()
        // Left by other tools: one named like a message with size fields, one without.
        for directory in ["cur/courierimapkeywords", "cur/1733440000.M1P1Q1.host,S=10,W=12:2,", "new/stray"] {
            try FileManager.default.createDirectory(atPath: "\(root)/Maildir/\(directory)", withIntermediateDirectories: true)
        }
        let delivered = try deliver("Subject: one\r\n\r\nbody\r\n", to: maildir, in: root)
        let messages = try Maildrop.open(path: "\(root)/Maildir").messages
        #expect(messages.count == 1)
        #expect(messages.first?.uniqueName == MaildirFileName(parsing: (delivered as NSString).lastPathComponent).uniqueName)
    }

    @Test("Unique-ids are printable, at most 70 characters, and the same every time", arguments: [
        "1733440000.M1P1Q1.mail.alato.example",
        String(repeating: "x", count: 71),
        "with space",
        "ünïcode",
    ])
    func uniqueIDs(name: String) {
        let uid = Maildrop.uniqueID(for: name)
        #expect((1...70).contains(uid.utf8.count))
        #expect(uid.utf8.allSatisfy { (0x21...0x7E).contains($0) })
        #expect(uid == Maildrop.uniqueID(for: name))
        if name.utf8.count <= 70, !name.contains(" "), name.allSatisfy(\.isASCII) { #expect(uid == name) }
    }

    @Test("File names: unique name, sizes, other fields and info", arguments: [
        ("1.M2P3Q4.host,S=10,W=12:2,S", "1.M2P3Q4.host", 10, 12, "2,S"),
        ("1.M2P3Q4.host", "1.M2P3Q4.host", nil, nil, nil),
        ("1.M2P3Q4.host,S=10,X=y:2,", "1.M2P3Q4.host", 10, nil, "2,"),
    ] as [(String, String, Int?, Int?, String?)])
    func fileNames(name: String, unique: String, size: Int?, wire: Int?, info: String?) {
        let parsed = MaildirFileName(parsing: name)
        #expect(parsed.uniqueName == unique)
        #expect(parsed.size == size)
        #expect(parsed.wireSize == wire)
        #expect(parsed.info == info)
        #expect(parsed.description == name)
    }
}
