import Foundation
import Spool

/// Operator requests to a running queue manager, and markers it keeps, as files under
/// `<data>/delivery/` so that the command line (another process) can reach the server:
///
/// | file | meaning |
/// |---|---|
/// | `flush` | retry every deferred recipient now (`portcullis queue flush`) |
/// | `retry/<ID>` | retry the deferred recipients of one message now |
/// | `bounce/<ID>` | fail the message's remaining recipients, bounce, delete |
/// | `hold/<ID>` | do not deliver this message until released |
/// | `delay-notified/<ID>` | a delay notice was sent for this message |
/// | `notified/<ID>` | the final DSN was queued (the message is about to be removed) |
/// | `paused` | deliver nothing while it exists (maintenance, tests that inspect the queue) |
///
/// Requests are picked up at the next scan (at most one scan interval, 1 s by default).
public struct QueueControl: Sendable {
    /// `<data>/delivery`.
    public let directory: String

    /// The control area of a data directory.
    public init(dataDirectory: String) {
        directory = "\(dataDirectory)/delivery"
    }

    /// Asks the server to retry all deferred mail now.
    public func requestFlush() throws {
        try touch("flush")
    }

    /// Asks the server to retry one message now.
    public func requestRetry(_ id: QueueID) throws {
        try touch("retry/\(id)")
    }

    /// Asks the server to fail the message's undelivered recipients with a bounce and delete it.
    public func requestBounce(_ id: QueueID) throws {
        try touch("bounce/\(id)")
    }

    /// Holds a message: it stays queued but is not delivered.
    public func hold(_ id: QueueID) throws {
        try touch("hold/\(id)")
    }

    /// Releases a held message.
    public func release(_ id: QueueID) throws {
        unlink("\(directory)/hold/\(id)")
    }

    /// Whether `id` is held.
    public func isHeld(_ id: QueueID) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/hold/\(id)")
    }

    /// Stops all deliveries until ``resume()`` (mail keeps being accepted and queued).
    public func pause() throws {
        try touch("paused")
    }

    /// Lets deliveries run again.
    public func resume() throws {
        if unlink("\(directory)/paused") != 0 && errno != ENOENT {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: "\(directory)/paused"])
        }
    }

    /// Whether deliveries are paused.
    public var isPaused: Bool {
        FileManager.default.fileExists(atPath: "\(directory)/paused")
    }

    // MARK: For the queue manager

    func consumeFlush() -> Bool {
        unlink("\(directory)/flush") == 0
    }

    /// A request about one message, left by the command line until the queue manager has
    /// acted on it.
    enum MessageRequest: String {
        /// `retry/<ID>`: make the deferred recipients due now.
        case retry
        /// `bounce/<ID>`: fail the undelivered recipients (with a bounce) and remove the message.
        case bounce
    }

    /// The queue IDs (as file names) with a pending `kind` request. The files stay until
    /// ``clear(_:_:)``: a request for a message whose delivery is running waits for it.
    func requests(_ kind: MessageRequest) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(kind.rawValue)")) ?? [])
    }

    /// Marks a request as carried out.
    func clear(_ kind: MessageRequest, _ name: String) {
        unlink("\(directory)/\(kind.rawValue)/\(name)")
    }

    func heldIDs() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/hold")) ?? [])
    }

    func hasSentDelayNotice(_ id: QueueID) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/delay-notified/\(id)")
    }

    func markDelayNoticeSent(_ id: QueueID) throws {
        try touch("delay-notified/\(id)")
    }

    func hasSentFinalNotice(_ id: QueueID) -> Bool {
        FileManager.default.fileExists(atPath: "\(directory)/notified/\(id)")
    }

    func markFinalNoticeSent(_ id: QueueID) throws {
        try touch("notified/\(id)")
    }

    /// Removes markers of a message that left the queue.
    func forget(_ id: QueueID) {
        for kind in ["hold", "delay-notified", "notified", "retry", "bounce"] { unlink("\(directory)/\(kind)/\(id)") }
    }

    private func touch(_ relative: String) throws {
        let path = "\(directory)/\(relative)"
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
