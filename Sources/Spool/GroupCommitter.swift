import Foundation

/// The single thread that makes commits durable, many at a time.
///
/// Why: one fsync per message caps a spool near the disk's fsync rate (about 2,000/s here for
/// create+fsync+directory fsync). Instead, every commit waiting when the thread wakes up forms
/// a batch:
///
/// 1. each message's envelope and bytes are appended to the current journal segment as one
///    checksummed record (deletions append a small tombstone record);
/// 2. one `fdatasync` of the segment makes the whole batch durable;
/// 3. each message is then made visible: a message that was kept in memory becomes *resident*
///    (``ResidentMessages``: read from its journal record, no files of its own); a spilled one
///    has its data file renamed from `tmp/` into `queue/` and its envelope written beside it
///    (no fsync: the journal already holds both);
/// 4. every waiting caller is resumed, and then the batch is announced to the listeners
///    (``SpoolAnnouncer``): delivery starts on it at once instead of finding it at a scan.
///
/// When a segment is big or old enough it is handed to the checkpoint queue, which copies the
/// messages still resident in it out into `queue/`, flushes the file system (`syncfs`, or fsync
/// of each file) so the queue files are durable by themselves, and then removes the segment.
/// Recovery replays whatever segments are left (``SpoolRecovery``).
///
/// Blocking I/O happens only on this thread and the checkpoint queue, never on the callers'
/// threads (they may be SwiftNIO event loops): callers suspend on a continuation.
final class GroupCommitter: @unchecked Sendable {
    /// A unit of work for the committer. Completions are called on the committer thread.
    enum Request {
        /// Journal and publish a message (`encoded` is `envelope` as JSON).
        case message(id: QueueID, data: MessageData, envelope: SpoolEnvelope, encoded: [UInt8],
                     completion: @Sendable (Result<Void, SpoolError>) -> Void)
        /// Journal a tombstone for `id`, then remove its files; `sync` says whether the batch
        /// must be synced for it (``DeletionSync``).
        case deletion(id: QueueID, sync: DeletionSync = .now, completion: @Sendable (Result<Void, SpoolError>) -> Void)

        var id: QueueID {
            switch self {
            case .message(let id, _, _, _, _), .deletion(let id, _, _): return id
            }
        }

        /// Whether the batch holding this request must be synced before it completes.
        var needsSync: Bool {
            if case .deletion(_, .withNextCommit, _) = self { return false }
            return true
        }

        func complete(_ result: Result<Void, SpoolError>) {
            switch self {
            case .message(_, _, _, _, let completion), .deletion(_, _, let completion): completion(result)
            }
        }
    }

    /// A message's bytes at commit.
    enum MessageData {
        /// Kept in memory: it will be resident in the journal.
        case memory([UInt8])
        /// Spilled to `tmp/<id>`, readable through this descriptor.
        case file(Int32)
    }

    /// The open journal segment (committer thread only).
    private struct Segment {
        let file: SegmentFile
        var length: UInt64
        let opened: Date
        /// Messages published from this segment, and deletions journaled in it.
        var ids: [QueueID]
        /// Messages resident in this segment (moved out at its checkpoint if still queued).
        var residentIDs: [QueueID]
        var path: String { file.path }
        var fd: Int32 { file.fd }
    }

    /// Counters for tests and benchmarks.
    struct Statistics: Sendable {
        var batches = 0
        /// Journal syncs: one per batch, except a batch of lazy deletions alone.
        var syncs = 0
        var messages = 0
        var deletions = 0
        var checkpoints = 0
    }

    private let layout: SpoolLayout
    private let options: SpoolOptions
    private let resident: ResidentMessages
    private let announcer: SpoolAnnouncer
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var pending: [Request] = []
    private var stopping = false
    private var stopped = false
    private var paused = false
    private var statistics = Statistics()
    /// Requests cleared since the committer last looked: no longer announced.
    private var cleared: Set<QueueRequest> = []
    // Committer thread only:
    private var segment: Segment?
    /// Segments closed for appends, waiting for their checkpoint, oldest first.
    private var closed: [(Segment, Date)] = []
    private var lastRequestScan = Date.distantPast
    /// The operator requests (other than deletions) already announced.
    private var announcedRequests: Set<QueueRequest> = []
    private var nextSequence: UInt64
    private let checkpoints = DispatchQueue(label: "portcullis.spool.checkpoint")
    /// Closed segments handed to the checkpoint queue and not yet checkpointed, oldest first
    /// (checkpoint queue only). One stays here when its checkpoint fails (a full disk), and
    /// the newer ones wait behind it.
    private var checkpointBacklog: [Segment] = []

    init(layout: SpoolLayout, options: SpoolOptions, resident: ResidentMessages, announcer: SpoolAnnouncer) {
        self.layout = layout
        self.options = options
        self.resident = resident
        self.announcer = announcer
        // Microseconds since the epoch: later segments sort after earlier ones across restarts.
        nextSequence = UInt64(Date().timeIntervalSince1970 * 1_000_000)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "portcullis.spool.commit"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    /// Queues a request; it is completed (possibly with ``SpoolError/closed``) exactly once.
    func submit(_ request: Request) {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            fail(request, .closed)
            return
        }
        pending.append(request)
        condition.signal()
        condition.unlock()
    }

    /// Finishes queued work, checkpoints the journal and stops the thread. Blocks until done.
    func stop() {
        condition.lock()
        stopping = true
        paused = false
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        checkpoints.sync {}
    }

    var currentStatistics: Statistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// Test hook: hold the committer so requests pile up, to observe one batch taking them all.
    func setPaused(_ value: Bool) {
        condition.lock()
        paused = value
        condition.broadcast()
        condition.unlock()
    }

    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Test hook: stop like a `kill -9` would, leaving the journal unapplied. Pending requests fail.
    func abandon() {
        condition.lock()
        stopping = true
        paused = false
        abandonRequested = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
        checkpoints.sync {}
    }
    private var abandonRequested = false

    /// Waits until every handed-over segment has been checkpointed (tests).
    func waitForCheckpoints() {
        checkpoints.sync {}
    }

    // MARK: The committer thread

    private func run() {
        while true {
            condition.lock()
            while (pending.isEmpty || paused) && !stopping {
                let woke = condition.wait(until: Date(timeIntervalSinceNow: 0.2))
                if !woke && !stopping {
                    // Idle: close an old segment, checkpoint, take operator requests.
                    condition.unlock()
                    rotateIfDue()
                    condition.lock()
                }
            }
            if stopping && (pending.isEmpty || abandonRequested) {
                let leftovers = pending
                pending.removeAll()
                let abandon = abandonRequested
                condition.unlock()
                for request in leftovers { fail(request, .closed) }
                if abandon {
                    segment = nil
                    closed.removeAll()
                } else {
                    rotate()
                    checkpointClosedSegments(force: true)
                }
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            process(batch)
        }
    }

    private func process(_ batch: [Request]) {
        let started = DispatchTime.now().uptimeNanoseconds
        let segment: Segment
        do {
            segment = try currentSegment()
        } catch {
            for request in batch { fail(request, error as? SpoolError ?? .closed) }
            return
        }
        let batchStart = segment.length
        var length = segment.length
        var appended: [(Request, dataOffset: UInt64)] = []
        var synced = false
        for request in batch {
            let recordStart = length
            do {
                let (end, dataOffset) = try append(request, to: segment.fd, at: recordStart, path: segment.path)
                length = end
                appended.append((request, dataOffset))
            } catch {
                // Drop the half-written record; the rest of the batch goes on.
                try? FileIO.truncate(segment.fd, to: recordStart, path: segment.path)
                length = recordStart
                fail(request, error as? SpoolError ?? .closed)
            }
        }
        do {
            // The one sync that the whole batch shares: after it, every record is durable. A
            // batch of delivered messages' deletions alone is not synced: the next batch's sync
            // (of the same file) or the checkpoint makes it durable.
            if appended.contains(where: { $0.0.needsSync }) {
                try FileIO.dataSync(segment.fd, path: segment.path)
                synced = true
                options.instruments.commitTook(nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
            }
        } catch {
            // After a failed fsync the file's state is unknown (Linux may drop the dirty pages):
            // cut the batch off and start a new segment. Nothing in it is acknowledged.
            try? FileIO.truncate(segment.fd, to: batchStart, path: segment.path)
            self.segment?.length = batchStart
            rotate()
            for (request, _) in appended { fail(request, error as? SpoolError ?? .closed) }
            return
        }
        self.segment?.length = length

        var tombstonesNeeded: [Request] = []
        var committed: [QueueID] = []
        var messages = 0
        var deletions = 0
        for (request, dataOffset) in appended {
            switch request {
            case let .message(id, .memory(bytes), envelope, _, completion):
                resident.insert(id, .init(segment: segment.file, dataOffset: dataOffset, dataLength: bytes.count,
                                          envelope: envelope, statuses: nil))
                self.segment?.residentIDs.append(id)
                messages += 1
                committed.append(id)
                completion(.success(()))
            case let .message(id, .file(dataFD), _, encoded, completion):
                FileIO.closeFile(dataFD)
                do {
                    try publish(id, envelope: encoded)
                    self.segment?.ids.append(id)
                    messages += 1
                    committed.append(id)
                    completion(.success(()))
                } catch {
                    // Journaled but not visible: refuse it (the client will retry) and journal a
                    // tombstone so recovery does not bring it back as a duplicate.
                    cleanUp(id)
                    completion(.failure(error as? SpoolError ?? .closed))
                    tombstonesNeeded.append(.deletion(id: id, completion: { _ in }))
                }
            case let .deletion(id, _, completion):
                var result: Result<Void, SpoolError> = .success(())
                // A resident message has no files of its own, but may have a state file or markers.
                let paths = resident.remove(id) ? layout.stateFiles(of: id) : layout.files(of: id)
                for path in paths {
                    do { try FileIO.unlinkIfPresent(path) } catch { result = .failure(error as? SpoolError ?? .closed) }
                }
                self.segment?.ids.append(id)
                deletions += 1
                completion(result)
            }
        }
        condition.lock()
        statistics.batches += 1
        statistics.syncs += synced ? 1 : 0
        statistics.messages += messages
        statistics.deletions += deletions
        pending.insert(contentsOf: tombstonesNeeded, at: 0)
        condition.unlock()
        if !committed.isEmpty { announcer.announce(.committed(committed)) }
        rotateIfDue()
    }

    /// Appends one record at `offset`; returns the new segment length and where the message
    /// data starts in the segment.
    private func append(_ request: Request, to fd: Int32, at offset: UInt64, path: String) throws -> (UInt64, UInt64) {
        var crc = CRC32()
        var position = offset
        func emit(_ bytes: UnsafeRawBufferPointer, checksummed: Bool = true) throws {
            try FileIO.writeAll(fd, bytes, at: position, path: path)
            if checksummed { crc.update(bytes) }
            position += UInt64(bytes.count)
        }
        var dataOffset: UInt64 = 0
        switch request {
        case let .message(id, .memory(bytes), _, envelope, _):
            // One write for the whole record: header, envelope, data, CRC.
            var record = JournalRecord.header(kind: .message, id: id, envelopeLength: envelope.count, dataLength: UInt64(bytes.count))
            record.reserveCapacity(record.count + envelope.count + bytes.count + 4)
            record.append(contentsOf: envelope)
            dataOffset = offset + UInt64(record.count)
            record.append(contentsOf: bytes)
            record.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[JournalRecord.magic.count...])) }
            JournalRecord.appendBigEndian(UInt64(crc.value), octets: 4, to: &record)
            try FileIO.writeAll(fd, record, at: offset, path: path)
            return (offset + UInt64(record.count), dataOffset)
        case let .message(id, .file(dataFD), _, envelope, _):
            let dataPath = layout.temporaryDataPath(id)
            let dataLength = try FileIO.size(of: dataFD, path: dataPath)
            let header = JournalRecord.header(kind: .message, id: id, envelopeLength: envelope.count, dataLength: dataLength)
            try header.withUnsafeBytes { raw in
                try FileIO.writeAll(fd, raw, at: position, path: path)  // the magic is not checksummed
                crc.update(UnsafeRawBufferPointer(rebasing: raw[JournalRecord.magic.count...]))
                position += UInt64(raw.count)
            }
            try envelope.withUnsafeBytes { try emit($0) }
            dataOffset = position
            // Copy the message bytes from the tmp file: they are still in the page cache.
            let chunkSize = 256 * 1024
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var copied: UInt64 = 0
            while copied < dataLength {
                let want = Int(min(UInt64(chunkSize), dataLength - copied))
                let got = try FileIO.readSome(dataFD, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: copied, path: dataPath)
                guard got > 0 else { throw SpoolError.corrupt(path: dataPath, reason: "the message shrank while being committed") }
                try emit(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                copied += UInt64(got)
            }
        case let .deletion(id, _, _):
            let header = JournalRecord.header(kind: .deletion, id: id, envelopeLength: 0, dataLength: 0)
            try header.withUnsafeBytes { raw in
                try FileIO.writeAll(fd, raw, at: position, path: path)
                crc.update(UnsafeRawBufferPointer(rebasing: raw[JournalRecord.magic.count...]))
                position += UInt64(raw.count)
            }
        }
        var trailer: [UInt8] = []
        JournalRecord.appendBigEndian(UInt64(crc.value), octets: 4, to: &trailer)
        try trailer.withUnsafeBytes { try emit($0, checksummed: false) }
        return (position, dataOffset)
    }

    /// Moves a journaled message into `queue/`: data first, envelope last (the envelope's
    /// presence is what makes a message visible to `list()` and delivery).
    private func publish(_ id: QueueID, envelope: [UInt8]) throws {
        let envelopeTemporary = layout.temporaryEnvelopePath(id)
        let fd = try FileIO.openFile(envelopeTemporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try FileIO.writeAll(fd, envelope, path: envelopeTemporary)
            FileIO.closeFile(fd)
        } catch {
            FileIO.closeFile(fd)
            throw error
        }
        try FileIO.renameFile(layout.temporaryDataPath(id), layout.dataPath(id))
        try FileIO.renameFile(envelopeTemporary, layout.envelopePath(id))
    }

    /// Copies a resident message into `queue/` (data, then envelope; no fsync: the checkpoint
    /// flushes the file system before the segment goes). Its state file, if any, is there already.
    private static func moveOut(_ id: QueueID, _ entry: ResidentMessages.Entry, layout: SpoolLayout) throws {
        let reader = try entry.makeReader()
        let dataPath = layout.dataPath(id)
        let fd = try FileIO.openFile(dataPath, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try FileIO.writeAll(fd, try reader.readAll(), path: dataPath)
            FileIO.closeFile(fd)
        } catch {
            // A partial copy (a full disk) would only hold on to the space that is short.
            FileIO.closeFile(fd)
            try? FileIO.unlinkIfPresent(dataPath)
            throw error
        }
        let encoded = Array(try SpoolEnvelope.encoder.encode(entry.envelope))
        try FileIO.replaceFile(layout.envelopePath(id), with: encoded, temporaryPath: layout.temporaryEnvelopePath(id),
                               durable: false, directory: layout.queueDirectory)
    }

    private func cleanUp(_ id: QueueID) {
        for path in [layout.temporaryDataPath(id), layout.temporaryEnvelopePath(id)] + layout.files(of: id) {
            try? FileIO.unlinkIfPresent(path)
        }
    }

    private func fail(_ request: Request, _ error: SpoolError) {
        if case let .message(id, .file(dataFD), _, _, _) = request {
            FileIO.closeFile(dataFD)
            try? FileIO.unlinkIfPresent(layout.temporaryDataPath(id))
        }
        request.complete(.failure(error))
    }

    private func currentSegment() throws -> Segment {
        if let segment { return segment }
        let sequence = nextSequence
        nextSequence += 1
        let path = layout.segmentPath(sequence)
        let fd = try FileIO.openFile(path, O_RDWR | O_CREAT | O_TRUNC)
        // The new segment's directory entry must survive a crash, or its records would be lost.
        try FileIO.syncDirectory(layout.journalDirectory)
        let opened = Segment(file: SegmentFile(path: path, fd: fd), length: 0, opened: Date(), ids: [], residentIDs: [])
        segment = opened
        return opened
    }

    private func rotateIfDue() {
        takeRequests()
        if let segment, segment.length >= options.maximumSegmentBytes || Date().timeIntervalSince(segment.opened) >= options.maximumSegmentAge {
            rotate()
        }
        checkpointClosedSegments(force: false)
    }

    /// Closes the current segment for appends. It is checkpointed once none of its messages is
    /// resident any more (they were delivered: nothing to copy out), or once it has been closed
    /// for ``SpoolOptions/maximumResidentAge`` (the stragglers are copied out).
    private func rotate() {
        guard let closing = segment else { return }
        segment = nil
        closed.append((closing, Date()))
    }

    /// `request` was carried out or withdrawn: if it is submitted again before the next look
    /// at `requests/`, it is a new request and is announced again.
    func forget(_ request: QueueRequest) {
        condition.lock()
        cleared.insert(request)
        condition.unlock()
    }

    /// Operator requests from another process, at most a few times a second. Deletions
    /// (``Spool/delete(_:)`` there) are the committer's own: each becomes a deletion, journaled
    /// like any other. The others are announced once each, for the queue manager to carry out.
    private func takeRequests() {
        let now = Date()
        guard now.timeIntervalSince(lastRequestScan) >= 0.1 else { return }
        lastRequestScan = now
        // Before listing: a request cleared after this is forgotten at the next look.
        condition.lock()
        announcedRequests.subtract(cleared)
        cleared.removeAll()
        condition.unlock()
        guard let names = try? FileIO.entries(of: layout.requestsDirectory) else { return }
        var deletions: [Request] = []
        var others: Set<QueueRequest> = []
        for name in names {
            switch QueueRequest(fileName: name) {
            case .delete(let id)?:
                try? FileIO.unlinkIfPresent(layout.requestPath(name))
                deletions.append(.deletion(id: id, completion: { _ in }))
            case let request?:
                others.insert(request)
            case nil:
                try? FileIO.unlinkIfPresent(layout.requestPath(name))  // not a request: nobody would take it
            }
        }
        if !others.subtracting(announcedRequests).isEmpty { announcer.announce(.requested) }
        announcedRequests = others
        guard !deletions.isEmpty else { return }
        condition.lock()
        pending.append(contentsOf: deletions)
        condition.unlock()
    }

    /// Hands closed segments to the checkpoint queue, oldest first and never out of order: a
    /// later segment may hold the deletion records of an earlier one's messages, so it must not
    /// disappear first. `force` (at stop) checkpoints them all.
    private func checkpointClosedSegments(force: Bool) {
        let now = Date()
        while let (head, closedAt) = closed.first,
              force || head.file.residentCount == 0 || now.timeIntervalSince(closedAt) >= options.maximumResidentAge {
            closed.removeFirst()
            let layout = self.layout
            let resident = self.resident
            checkpoints.async { [self] in
                // Strictly oldest first, also after a failure: a newer segment's deletion records
                // may be all that keeps an older one's messages from coming back at recovery.
                checkpointBacklog.append(head)
                while let next = checkpointBacklog.first {
                    guard Self.checkpoint(next.file, ids: next.ids, residentIDs: next.residentIDs,
                                          resident: resident, layout: layout) else { return }  // retried with the next one
                    checkpointBacklog.removeFirst()
                    condition.lock()
                    statistics.checkpoints += 1
                    condition.unlock()
                }
            }
        }
    }

    /// Makes everything the segment covers durable without it, then removes it: messages still
    /// resident in it are copied out into `queue/` first. On failure the segment stays (and its
    /// messages resident): it is tried again, before any newer segment, when the next one is
    /// handed over; recovery replays whatever is left at the next start.
    private static func checkpoint(_ segment: SegmentFile, ids: [QueueID], residentIDs: [QueueID],
                                   resident: ResidentMessages, layout: SpoolLayout) -> Bool {
        let path = segment.path
        var ids = ids
        do {
            for id in residentIDs {
                try resident.moveOut(id, from: segment) { entry in
                    try moveOut(id, entry, layout: layout)
                    ids.append(id)
                }
            }
            let queueFD = try FileIO.openFile(layout.queueDirectory, O_RDONLY | O_DIRECTORY)
            defer { FileIO.closeFile(queueFD) }
            if !FileIO.syncFileSystem(queueFD) {
                // No syncfs: fsync every file the segment published, then the directory.
                // residentIDs too: after a failed attempt, some were copied out by that one.
                for id in ids + residentIDs {
                    for file in [layout.dataPath(id), layout.envelopePath(id)] {
                        guard let fd = try? FileIO.openFile(file, O_RDONLY) else { continue }  // deleted since
                        defer { FileIO.closeFile(fd) }
                        try FileIO.sync(fd, path: file)
                    }
                }
                try FileIO.sync(queueFD, path: layout.queueDirectory)
            }
            try FileIO.unlinkIfPresent(path)
            try FileIO.syncDirectory(layout.journalDirectory)
            return true
        } catch {
            return false
        }
    }
}
