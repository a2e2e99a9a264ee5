import BlockingWork
import Foundation
import Synchronization

/// The durable message queue: what the SMTP services accept and delivery sends on.
///
/// Durability contract: ``SpoolWriter/commit(envelope:)`` returns only when the message and
/// its envelope are on stable storage, so a 250 reply after it can never be lost to a crash
/// or power failure. Commits running at the same time share one fsync (group commit through
/// a journal, see ``GroupCommitter`` and docs/spool.md). Nothing partial is ever visible: a
/// message appears in ``list()`` only once committed, and opening the spool removes what an
/// interrupted run left behind (``SpoolRecovery``).
///
/// One process owns a spool (an exclusive `flock` on `<spool>/lock`): the server. Another
/// process opening the same directory (the command line while the server runs) gets a
/// read-mostly view: it can list, show and delete, but not accept messages, and it does not
/// run recovery. Messages the owner has not yet copied out of its journal
/// (``ResidentMessages``) are read from the journal segments by that view.
public final class Spool: Sendable {
    /// The spool directory.
    public let directory: String
    /// Whether this instance owns the spool (holds the lock, accepts messages).
    public let isOwner: Bool
    /// What opening had to repair; `nil` when another process owns the spool.
    public let recovery: SpoolRecoveryReport?

    /// Whether the file system has room for new mail (``SpoolOptions/minimumFreeSpace``).
    public let freeSpace: FreeSpaceGauge

    let layout: SpoolLayout
    let committer: GroupCommitter?
    /// Messages whose bytes are only in the journal (owner only).
    let resident = ResidentMessages()
    /// Tells listeners about commits and operator requests (owner only).
    let announcer = SpoolAnnouncer()
    private let lockFD: Int32
    private let identifiers = QueueIDGenerator()
    private let closed = Mutex(false)

    /// Opens (creating it if needed) the spool in `directory`.
    ///
    /// Creates `tmp/`, `queue/` and `journal/`, takes the owner lock if it is free, and then
    /// recovers from any interrupted run before returning.
    public init(directory: String, options: SpoolOptions = SpoolOptions()) throws {
        self.directory = directory
        let layout = SpoolLayout(root: directory)
        self.layout = layout
        try FileIO.makeDirectory(directory)
        freeSpace = FreeSpaceGauge(path: directory, minimum: options.minimumFreeSpace)
        for path in [layout.temporaryDirectory, layout.queueDirectory, layout.journalDirectory, layout.requestsDirectory] {
            try FileIO.makeDirectory(path)
        }
        lockFD = try FileIO.openFile(layout.lockPath, O_RDWR | O_CREAT)
        if flock(lockFD, LOCK_EX | LOCK_NB) == 0 {
            isOwner = true
            do {
                recovery = try SpoolRecovery.run(layout)
            } catch {
                FileIO.closeFile(lockFD)
                throw error
            }
            let committer = GroupCommitter(layout: layout, options: options, resident: resident, announcer: announcer)
            committer.start()
            self.committer = committer
        } else {
            guard errno == EWOULDBLOCK else {
                let error = FileIO.fail("flock", layout.lockPath)
                FileIO.closeFile(lockFD)
                throw error
            }
            isOwner = false
            recovery = nil
            committer = nil
        }
    }

    deinit {
        close()
    }

    /// Finishes pending commits, checkpoints the journal and releases the lock.
    public func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        committer?.stop()
        announcer.finish()
        FileIO.closeFile(lockFD)
    }

    /// Every commit and every new operator request, from now until the spool closes or the
    /// stream is dropped. Each call gives a stream of its own. A spool that does not own the
    /// directory (the command line) never announces anything.
    public func announcements() -> AsyncStream<SpoolAnnouncement> {
        announcer.subscribe()
    }

    /// Test hook: stop as a `kill -9` would, leaving the journal for the next open to replay.
    func simulateCrash() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        committer?.abandon()
        FileIO.closeFile(lockFD)
    }

    // MARK: Accepting

    /// Starts a new message; its queue ID is fixed now.
    public func beginMessage() throws -> SpoolWriter {
        guard let committer, !closed.withLock({ $0 }) else {
            throw isOwner ? SpoolError.closed : SpoolError.notOwner(directory)
        }
        return SpoolWriter(id: identifiers.next(), layout: layout, committer: committer)
    }

    // MARK: Reading

    /// Every committed message, oldest first (`portcullis queue list`).
    public func list() throws -> [SpooledMessageSummary] {
        try queuedMessages().map { message in
            SpooledMessageSummary(
                id: message.id, arrival: message.envelope.arrival, sender: message.envelope.sender,
                recipients: message.envelope.recipients, size: message.envelope.size, isHeld: message.isHeld)
        }
    }

    /// Every committed message with its whole envelope (the latest delivery state of each
    /// recipient) and its markers, oldest first: one directory read, and each envelope on
    /// disk decoded once (those still in the journal are in memory already).
    public func queuedMessages() throws -> [QueuedMessage] {
        // Journal first: a message moved out to queue/ meanwhile is then seen twice (once is
        // kept), never missed.
        var envelopes: [QueueID: SpoolEnvelope] = [:]
        if isOwner {
            for (id, entry) in resident.all() { envelopes[id] = entry.withStatuses() }
        } else {
            for (id, located) in try JournalView(layout).messages() {
                envelopes[id] = try? located.envelope(layout: layout)
            }
        }
        // One directory read gives the queued messages and their markers (no stat per message).
        var markers: [QueueID: Set<SpoolMarker>] = [:]
        for name in try FileIO.entries(of: layout.queueDirectory) {
            if let (id, marker) = SpoolMarker.parse(name) {
                markers[id, default: []].insert(marker)
                continue
            }
            guard name.hasSuffix(SpoolLayout.envelopeSuffix),
                  let id = QueueID(String(name.dropLast(SpoolLayout.envelopeSuffix.count))), envelopes[id] == nil else { continue }
            do {
                envelopes[id] = try diskEnvelope(of: id)
            } catch SpoolError.notFound {
                continue  // deleted while we were listing
            }
        }
        return envelopes.map { id, envelope in
            QueuedMessage(id: id, envelope: envelope, markers: markers[id] ?? [])
        }.sorted { $0.id < $1.id }
    }

    /// The envelope of a committed message, with the latest delivery state of each recipient.
    public func envelope(of id: QueueID) throws -> SpoolEnvelope {
        if let entry = resident.entry(id) { return entry.withStatuses() }
        do {
            return try diskEnvelope(of: id)
        } catch SpoolError.notFound where !isOwner {
            guard let located = try JournalView(layout).messages()[id] else { throw SpoolError.notFound(id) }
            return try located.envelope(layout: layout)
        }
    }

    private func diskEnvelope(of id: QueueID) throws -> SpoolEnvelope {
        let path = layout.envelopePath(id)
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path)
        } catch SpoolError.io(_, _, ENOENT) {
            throw SpoolError.notFound(id)
        }
        let decoder = SpoolEnvelope.makeDecoder()
        var envelope: SpoolEnvelope
        do {
            envelope = try decoder.decode(SpoolEnvelope.self, from: Data(bytes))
        } catch {
            throw SpoolError.corrupt(path: path, reason: "\(error)")
        }
        if let statuses = try Self.deliveryStatuses(of: id, layout: layout) { envelope.apply(statuses) }
        return envelope
    }

    /// The envelope of the message whose ID is given as text (command line).
    public func envelope(of text: String) throws -> SpoolEnvelope {
        guard let id = QueueID(text) else { throw SpoolError.invalidQueueID(text) }
        return try envelope(of: id)
    }

    /// Whether `id` is a committed message.
    public func contains(_ id: QueueID) -> Bool {
        resident.contains(id) || FileIO.exists(layout.envelopePath(id))
            || (!isOwner && (try? JournalView(layout).messages()[id]) != nil)
    }

    /// Opens a committed message's bytes (RFC 5322, as received, with our Received header).
    public func openMessage(_ id: QueueID) throws -> MessageReader {
        if let reader = try resident.open(id) { return reader }
        if FileIO.exists(layout.envelopePath(id)) {
            do {
                return try MessageReader.file(layout.dataPath(id))
            } catch SpoolError.io(_, _, ENOENT) {
                // Moved out of the journal and deleted meanwhile, or deleted: look once more.
                if let reader = try resident.open(id) { return reader }
                throw SpoolError.notFound(id)
            }
        }
        if !isOwner, let located = try JournalView(layout).messages()[id] { return try located.open() }
        throw SpoolError.notFound(id)
    }

    /// Where delivery reads a committed message from; opened when it is read.
    public func messageSource(of id: QueueID) throws -> MessageSource {
        guard contains(id) else { throw SpoolError.notFound(id) }
        return MessageSource { try self.openMessage(id) }
    }

    /// The bytes of a committed message, read whole (for `portcullis queue show`; delivery
    /// streams from ``messageSource(of:)`` instead).
    public func messageData(of id: QueueID) throws -> Data {
        Data(try openMessage(id).readAll())
    }

    // MARK: Delivery state

    /// Replaces the delivery state of every recipient of `id` (one entry per recipient, in
    /// envelope order). Durable on return: written to a temporary file, fsync'd, renamed over
    /// the previous state, directory fsync'd; a reader sees the old state or the new one.
    public func setDeliveryState(_ statuses: [RecipientDeliveryStatus], of id: QueueID) throws {
        let envelope = try self.envelope(of: id)
        guard statuses.count == envelope.recipients.count else {
            throw SpoolError.recipientCountMismatch(id, expected: envelope.recipients.count, got: statuses.count)
        }
        let bytes = try SpoolEnvelope.encodeStatuses(statuses)
        let temporary = layout.temporaryPath("\(id).state.\(UInt64.random(in: 0...UInt64.max))")
        try FileIO.replaceFile(layout.statePath(id), with: bytes, temporaryPath: temporary, durable: true, directory: layout.queueDirectory)
        _ = resident.setStatuses(statuses, of: id)
    }

    static func deliveryStatuses(of id: QueueID, layout: SpoolLayout) throws -> [RecipientDeliveryStatus]? {
        let path = layout.statePath(id)
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readFile(path)
        } catch SpoolError.io(_, _, ENOENT) {
            return nil
        }
        do {
            return try SpoolEnvelope.decodeStatuses(bytes)
        } catch {
            throw SpoolError.corrupt(path: path, reason: "\(error)")
        }
    }

    // MARK: Deleting

    /// Removes a committed message (delivered, or `portcullis queue delete`). Blocks until durable.
    ///
    /// In the owning process the deletion is journaled like a commit, so a crash cannot bring
    /// the message back. From another process the files are removed and the directory fsync'd;
    /// if the owner crashes within one checkpoint interval (5 s by default) of the message's
    /// arrival, its journal may restore it once.
    public func delete(_ id: QueueID) throws {
        guard let committer else {
            if !FileIO.exists(layout.envelopePath(id)) {
                guard try JournalView(layout).messages()[id] != nil else { throw SpoolError.notFound(id) }
                try askOwnerToDelete(id)
                return
            }
            for path in layout.files(of: id) { try FileIO.unlinkIfPresent(path) }
            try FileIO.syncDirectory(layout.queueDirectory)
            return
        }
        guard contains(id) else { throw SpoolError.notFound(id) }
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, SpoolError>>(.success(()))
        committer.submit(.deletion(id: id, completion: { result in
            outcome.withLock { $0 = result }
            done.signal()
        }))
        done.wait()
        try outcome.withLock { try $0.get() }
    }

    /// The async form of ``delete(_:)``: suspends instead of blocking the caller's thread.
    /// `sync` says when the deletion must be durable (``DeletionSync``); from another process
    /// it always is on return.
    public func deleteAsync(_ id: QueueID, sync: DeletionSync = .now) async throws {
        guard let committer else {
            try await Self.offload { try self.delete(id) }
            return
        }
        guard contains(id) else { throw SpoolError.notFound(id) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            committer.submit(.deletion(id: id, sync: sync, completion: { result in
                continuation.resume(with: result.mapError { $0 as any Error })
            }))
        }
    }

    /// Deletes the message whose ID is given as text (command line).
    public func delete(_ text: String) throws {
        guard let id = QueueID(text) else { throw SpoolError.invalidQueueID(text) }
        try delete(id)
    }

    /// Another process cannot journal a deletion of a message that lives in the owner's
    /// journal: it leaves a request the owner's committer picks up (within a fraction of a
    /// second), and waits until the message is gone.
    private func askOwnerToDelete(_ id: QueueID) throws {
        try submit(.delete(id))
        let deadline = Date().addingTimeInterval(10)
        // Gone from the journal view (its deletion record is there) and its files removed (the
        // owner removes them once that record is synced).
        while try JournalView(layout).messages()[id] != nil || layout.files(of: id).contains(where: FileIO.exists) {
            guard Date() < deadline else {
                try? clear(.delete(id))
                throw SpoolError.stillInJournal(id)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    // MARK: Helpers

    /// Runs blocking file work on the shared pool and suspends the caller meanwhile.
    private static func offload(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await BlockingWorkPool.shared.run(work)
    }

    /// Group-commit counters (tests and benchmarks).
    var statistics: GroupCommitter.Statistics {
        committer?.currentStatistics ?? GroupCommitter.Statistics()
    }
}
