import Foundation
import Synchronization

/// One journal segment file, shared by the committer (which appends to it) and by the
/// messages whose bytes still live in it. Closed when the last of them lets go.
final class SegmentFile: Sendable {
    let path: String
    let fd: Int32
    /// How many of its messages are resident (read from it) right now.
    private let residents = Atomic<Int>(0)

    var residentCount: Int { residents.load(ordering: .acquiring) }

    func residentAdded() { residents.add(1, ordering: .releasing) }
    func residentGone() { residents.subtract(1, ordering: .releasing) }

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        FileIO.closeFile(fd)
    }
}

/// Committed messages whose bytes are only in the journal (the owner's fast path).
///
/// Why: a message relayed within seconds of its arrival never needs files of its own. Its
/// journal record is durable (the batch's fdatasync), so it is acknowledged and delivered
/// from there; deleting it is one tombstone record. Only when its segment is checkpointed
/// while the message is still queued is it copied out into `queue/` (``GroupCommitter``).
/// Creating and deleting two files per message was most of the spool's cost (ext4 inode
/// allocation; BENCHMARKS.md).
///
/// Every method is safe from any thread; moving a message out (``moveOut(_:from:_:)``) holds
/// the lock while it writes, so a concurrent deletion sees the message either here or on disk.
final class ResidentMessages: Sendable {
    struct Entry: Sendable {
        let segment: SegmentFile
        let dataOffset: UInt64
        let dataLength: Int
        let envelope: SpoolEnvelope
        /// The delivery state last written for it (also on disk, in `queue/<id>.state`).
        var statuses: [RecipientDeliveryStatus]?

        /// A reader with its own descriptor (a `dup` of the segment's: the segment may go away).
        func makeReader() throws -> MessageReader {
            let fd = dup(segment.fd)
            guard fd >= 0 else { throw FileIO.fail("dup", segment.path) }
            return MessageReader(fd: fd, start: dataOffset, length: dataLength, path: segment.path)
        }

        /// The envelope with the latest delivery state.
        func withStatuses() -> SpoolEnvelope {
            var envelope = envelope
            if let statuses { envelope.apply(statuses) }
            return envelope
        }
    }

    private let entries = Mutex<[QueueID: Entry]>([:])

    func insert(_ id: QueueID, _ entry: Entry) {
        entry.segment.residentAdded()
        entries.withLock { $0[id] = entry }
    }

    func entry(_ id: QueueID) -> Entry? {
        entries.withLock { $0[id] }
    }

    func contains(_ id: QueueID) -> Bool {
        entries.withLock { $0[id] != nil }
    }

    /// A snapshot of every resident message.
    func all() -> [(QueueID, Entry)] {
        entries.withLock { Array($0.map { ($0.key, $0.value) }) }
    }

    /// Removes `id`; returns whether it was resident.
    @discardableResult
    func remove(_ id: QueueID) -> Bool {
        guard let entry = entries.withLock({ $0.removeValue(forKey: id) }) else { return false }
        entry.segment.residentGone()
        return true
    }

    /// Records new delivery state for a resident message; false when it is not resident.
    func setStatuses(_ statuses: [RecipientDeliveryStatus], of id: QueueID) -> Bool {
        entries.withLock { entries in
            guard entries[id] != nil else { return false }
            entries[id]?.statuses = statuses
            return true
        }
    }

    /// A reader for a resident message (its own descriptor: the segment may go away meanwhile).
    func open(_ id: QueueID) throws -> MessageReader? {
        try entries.withLock { entries in
            try entries[id]?.makeReader()
        }
    }

    /// If `id` still lives in `segment`, runs `write` (which copies it into `queue/`) and
    /// forgets it, all under the lock.
    func moveOut(_ id: QueueID, from segment: SegmentFile, _ write: (Entry) throws -> Void) rethrows {
        try entries.withLock { entries in
            guard let entry = entries[id], entry.segment === segment else { return }
            try write(entry)
            entries[id] = nil
            entry.segment.residentGone()
        }
    }
}
