import Delivery
import Foundation
import Spool
import Testing

/// An older install's `<data>/delivery/` files become spool requests and markers at start.
@Suite("Migrating <data>/delivery/ into the spool")
struct DeliveryControlMigrationTests {
    @Test("pause, flush, per-message requests and markers are carried over, then the old files removed")
    func carriesEverythingOver() async throws {
        let fixture = try await QueueFixture(routes: [:])
        let first = try await fixture.submit(from: "taro@alato.example", to: ["a@example.net"], body: sampleMessage())
        let second = try await fixture.submit(from: "taro@alato.example", to: ["b@example.net"], body: sampleMessage())
        let gone = QueueID("00000000000000")!
        let root = "\(fixture.dataDirectory)/delivery"
        for file in ["paused", "flush", "retry/\(first)", "retry/\(gone)", "bounce/\(second)", "hold/\(first)",
                     "delay-notified/\(first)", "notified/\(second)", "notified/\(gone)"] {
            let path = "\(root)/\(file)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
        }

        #expect(try DeliveryControlMigration.run(dataDirectory: fixture.dataDirectory, spool: fixture.spool) == 7)
        #expect(fixture.spool.pendingRequests() == [.pause, .flush, .retry(first), .bounce(second)])
        #expect(fixture.spool.markers(of: first) == [.hold, .delayNoticeSent])
        #expect(fixture.spool.markers(of: second) == [.finalNoticeSent])
        #expect(!FileManager.default.fileExists(atPath: root))

        // Nothing left to do the next time.
        #expect(try DeliveryControlMigration.run(dataDirectory: fixture.dataDirectory, spool: fixture.spool) == 0)
        #expect(fixture.spool.pendingRequests() == [.pause, .flush, .retry(first), .bounce(second)])
    }

    @Test("a file that names no message stays for the operator")
    func unknownFilesStay() async throws {
        let fixture = try await QueueFixture(routes: [:])
        let root = "\(fixture.dataDirectory)/delivery"
        try FileManager.default.createDirectory(atPath: "\(root)/retry", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: "\(root)/retry/notes.txt", contents: nil))
        #expect(FileManager.default.createFile(atPath: "\(root)/paused", contents: nil))
        #expect(try DeliveryControlMigration.run(dataDirectory: fixture.dataDirectory, spool: fixture.spool) == 1)
        #expect(fixture.spool.isPaused)
        #expect(FileManager.default.fileExists(atPath: "\(root)/retry/notes.txt"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/paused"))
    }
}
