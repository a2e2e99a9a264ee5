import Foundation
import Testing
@testable import Spool

/// The spool tells its listeners about commits and operator requests, and keeps requests and
/// markers as files that outlive the process that wrote them.
@Suite struct SpoolAnnouncementTests {
    @Test("a commit is announced once it is durable and visible, to every listener")
    func commitIsAnnounced() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let first = spool.announcements()
        let second = spool.announcements()
        let id = try await spoolMessage(spool, sampleMessage(seed: 1))
        for stream in [first, second] {
            var iterator = stream.makeAsyncIterator()
            let announcement = await iterator.next()
            #expect(announcement == .committed([id]))
        }
        #expect(spool.contains(id))
    }

    @Test("closing the spool ends the streams; another process's spool announces nothing")
    func closeEndsTheStreams() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let cli = try Spool(directory: folder.path)
        #expect(!cli.isOwner)
        let stream = spool.announcements()
        spool.close()
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        cli.close()
    }

    @Test("a request from another process is announced once, and stays until cleared")
    func requestIsAnnounced() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let id = try await spoolMessage(spool, sampleMessage(seed: 2))
        let stream = spool.announcements()
        let cli = try Spool(directory: folder.path)
        try cli.submit(.retry(id))
        try cli.submit(.pause)
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == .requested)
        #expect(spool.pendingRequests() == [.retry(id), .pause])
        #expect(spool.isPaused)
        try spool.clear(.retry(id))
        try cli.clear(.pause)
        #expect(spool.pendingRequests().isEmpty && !spool.isPaused)
        cli.close()
    }

    @Test("a request submitted again right after it was cleared is announced again")
    func resubmittedRequestIsAnnounced() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let announced = Announced(spool.announcements())
        let cli = try Spool(directory: folder.path)
        defer { cli.close() }
        try cli.submit(.flush)
        #expect(try await announced.next() == .requested)
        // Cleared and submitted again before the committer looks at requests/ again.
        try spool.clear(.flush)
        try cli.submit(.flush)
        #expect(try await announced.next() == .requested)
    }

    @Test("release and resume are requests: the server hears of them at once")
    func releaseAndResumeAreAnnounced() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let id = try await spoolMessage(spool, sampleMessage(seed: 3))
        try spool.hold(id)
        let announced = Announced(spool.announcements())
        let cli = try Spool(directory: folder.path)
        defer { cli.close() }
        try cli.release(id)
        #expect(try await announced.next() == .requested)
        #expect(!spool.isHeld(id) && spool.pendingRequests() == [.release(id)])
        try spool.clear(.release(id))

        try cli.submit(.pause)
        #expect(try await announced.next() == .requested)
        try cli.resume()
        #expect(try await announced.next() == .requested)
        #expect(!spool.isPaused && spool.pendingRequests() == [.resume])
        // Neither does anything a second time.
        try spool.clear(.resume)
        try cli.resume()
        try cli.release(id)
        #expect(spool.pendingRequests().isEmpty)
    }

    @Test("request file names", arguments: [
        (QueueRequest.flush, "flush"), (.pause, "pause"), (.resume, "resume"),
        (.release(QueueID("0000000000ZZZZ")!), "release.0000000000ZZZZ"),
        (.retry(QueueID("0000000000ZZZZ")!), "retry.0000000000ZZZZ"),
        (.bounce(QueueID("0000000000ZZZZ")!), "bounce.0000000000ZZZZ"),
        (.delete(QueueID("0000000000ZZZZ")!), "delete.0000000000ZZZZ"),
    ])
    func requestNames(request: QueueRequest, name: String) {
        #expect(request.fileName == name)
        #expect(QueueRequest(fileName: name) == request)
    }

    @Test("a bare queue ID is a deletion request; other names are none")
    func requestNamesRefused() {
        #expect(QueueRequest(fileName: "0000000000ZZZZ") == .delete(QueueID("0000000000ZZZZ")!))
        for name in ["", "retry", "retry.", "retry.../x", "hold.0000000000ZZZZ", "flush.0000000000ZZZZ"] {
            #expect(QueueRequest(fileName: name) == nil, "\(name)")
        }
    }

    @Test("notice markers are listed with the message and removed with it")
    func markersGoWithTheMessage() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        defer { spool.close() }
        let id = try await spoolMessage(spool, sampleMessage(seed: 3))
        try spool.setMarker(.delayNoticeSent, on: id)
        try spool.setMarker(.finalNoticeSent, on: id)
        #expect(spool.markers(of: id) == [.delayNoticeSent, .finalNoticeSent])
        #expect(try spool.queuedMessages().map(\.markers) == [[.delayNoticeSent, .finalNoticeSent]])
        #expect(try spool.list().map(\.isHeld) == [false])
        try spool.delete(id)
        #expect(folder.names(in: "queue").isEmpty)
    }
}

/// The announcements of one spool, each awaited for at most two seconds.
private final class Announced: @unchecked Sendable {
    private var iterator: AsyncStream<SpoolAnnouncement>.Iterator

    init(_ stream: AsyncStream<SpoolAnnouncement>) { iterator = stream.makeAsyncIterator() }

    struct Silence: Error {}

    func next() async throws -> SpoolAnnouncement {
        let waiting = Task { [self] in await self.take() }
        let timeout = Task { try await Task.sleep(for: .seconds(2)); waiting.cancel() }
        defer { timeout.cancel() }
        guard let announcement = await waiting.value else { throw Silence() }
        return announcement
    }

    private func take() async -> SpoolAnnouncement? { await iterator.next() }
}
