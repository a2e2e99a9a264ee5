import Foundation
import Testing
import Spool
@testable import MaildirStore

@Suite("Maildir")
struct MaildirTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "portcullis-maildir-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func write(_ text: String, in directory: String) throws -> String {
        let path = "\(directory)/source"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("A delivered message is complete in new/, nothing is left in tmp/, names are unique")
    func deliver() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = try write("Subject: hi\r\n\r\nline one\r\nline two\r", in: root)
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "mail/alato:example")
        let first = try maildir.deliver(from: .file(source), headerLines: ["Return-Path: <a@example.net>", "Delivered-To: b@alato.example"])
        let second = try maildir.deliver(from: .file(source), headerLines: [])
        #expect(first != second)
        #expect(first.hasPrefix("\(root)/Maildir/new/"))
        #expect(!first.split(separator: "/").last!.contains("/"))
        let content = try String(contentsOfFile: first, encoding: .utf8)
        #expect(content == "Return-Path: <a@example.net>\nDelivered-To: b@alato.example\nSubject: hi\n\nline one\nline two\r")
        // The unique name, then the Maildir++ sizes: the file's, and with CRLF line endings
        // (five LFs gain a CR each, the last line's lone CR gains an LF).
        let name = MaildirFileName(parsing: String(first.split(separator: "/").last!))
        #expect(name.uniqueName.hasSuffix("mail\\057alato\\072example"))
        #expect(name.size == content.utf8.count)
        #expect(name.wireSize == content.utf8.count + 5 + 1)
        #expect(name.info == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/tmp").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/new").count == 2)
        #expect(FileManager.default.fileExists(atPath: "\(root)/Maildir/cur"))
    }

    @Test("A failed delivery leaves nothing visible and nothing behind")
    func failure() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let maildir = Maildir(path: "\(root)/Maildir", hostname: "h")
        #expect(throws: SpoolError.self) { try maildir.deliver(from: .file("\(root)/missing"), headerLines: ["X: y"]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/new").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/Maildir/tmp").isEmpty)
    }

    @Test("Account paths cannot escape the mailbox root", arguments: [
        ("taro@Alato.Example", "/r/alato.example/taro/Maildir"),
        ("../../etc@alato.example", "/r/alato.example/%2E.%2F..%2Fetc/Maildir"),  // one component: no "/"
        (".hidden@alato.example", "/r/alato.example/%2Ehidden/Maildir"),
        ("a/b@x.example", "/r/x.example/a%2Fb/Maildir"),
    ])
    func paths(account: String, expected: String) {
        #expect(Maildir.path(root: "/r", account: account) == expected)
    }

    @Test("CRLF to LF conversion across chunk boundaries")
    func lineEndings() {
        var converter = LineEndingConverter()
        let out = converter.convert(Array("a\r".utf8)) + converter.convert(Array("\nb\rc\r".utf8)) + converter.finish()
        #expect(String(decoding: out, as: UTF8.self) == "a\nb\rc\r")
    }
}
