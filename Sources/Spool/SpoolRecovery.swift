import Foundation

/// What opening the spool had to clean up after an interrupted run.
public struct SpoolRecoveryReport: Sendable, Hashable {
    /// Files removed from `tmp/`: messages whose transaction never committed.
    public var removedTemporaryFiles = 0
    /// Messages rewritten from the journal (committed, but not yet checkpointed at the crash).
    public var restoredMessages: [QueueID] = []
    /// Messages removed again because the journal holds their deletion.
    public var replayedDeletions: [QueueID] = []
    /// Files in `queue/` without an envelope (an interrupted publish or deletion), removed.
    public var removedOrphans = 0
    /// Journal segments replayed and removed.
    public var replayedSegments = 0

    /// Whether nothing had to be done.
    public var isClean: Bool {
        removedTemporaryFiles == 0 && restoredMessages.isEmpty && replayedDeletions.isEmpty && removedOrphans == 0 && replayedSegments == 0
    }
}

/// Brings the spool back to a consistent state at open, before anything else touches it.
///
/// After it runs: `tmp/` is empty; every message acknowledged before the crash is complete in
/// `queue/` with its envelope, durable on its own; deletions that were acknowledged are
/// applied; no journal segment remains; nothing partial is visible.
enum SpoolRecovery {
    static func run(_ layout: SpoolLayout) throws -> SpoolRecoveryReport {
        var report = SpoolRecoveryReport()

        // 1. Uncommitted transactions: whatever is in tmp/ was never acknowledged.
        for name in try FileIO.entries(of: layout.temporaryDirectory) {
            try FileIO.unlinkIfPresent(layout.temporaryPath(name))
            report.removedTemporaryFiles += 1
        }

        // 2. Replay the journal: restore committed messages, apply deletions.
        let segments = try FileIO.entries(of: layout.journalDirectory)
            .filter { $0.hasSuffix(SpoolLayout.segmentSuffix) }
            .sorted()
            .map { "\(layout.journalDirectory)/\($0)" }
        var readers: [JournalReader] = []
        defer { readers.forEach { $0.close() } }
        var messages: [(JournalReader, JournalReader.Entry)] = []
        var deleted = Set<QueueID>()
        for path in segments {
            let reader = try JournalReader(path: path)
            readers.append(reader)
            for entry in try reader.entries() {
                switch entry.kind {
                case .message: messages.append((reader, entry))
                case .deletion: deleted.insert(entry.id)
                }
            }
        }
        for (reader, entry) in messages where !deleted.contains(entry.id) {
            try restore(entry, from: reader, layout: layout)
            report.restoredMessages.append(entry.id)
        }
        for id in deleted.sorted() {
            var removed = false
            for path in layout.files(of: id) where FileIO.exists(path) {
                try FileIO.unlinkIfPresent(path)
                removed = true
            }
            if removed { report.replayedDeletions.append(id) }
        }

        // 3. Orphans: data, state or marker without an envelope is not a message.
        let names = try FileIO.entries(of: layout.queueDirectory)
        let envelopes = Set(names.filter { $0.hasSuffix(SpoolLayout.envelopeSuffix) }.map { String($0.dropLast(SpoolLayout.envelopeSuffix.count)) })
        for name in names where !name.hasSuffix(SpoolLayout.envelopeSuffix) {
            var base = name
            for suffix in [SpoolLayout.stateSuffix] + SpoolMarker.allCases.map(\.suffix) where name.hasSuffix(suffix) {
                base = String(name.dropLast(suffix.count))
            }
            if !envelopes.contains(base) {
                try FileIO.unlinkIfPresent("\(layout.queueDirectory)/\(name)")
                report.removedOrphans += 1
            }
        }

        // 4. Make all of that durable, and only then drop the journal.
        try FileIO.syncDirectory(layout.queueDirectory)
        try FileIO.syncDirectory(layout.temporaryDirectory)
        for path in segments {
            try FileIO.unlinkIfPresent(path)
            report.replayedSegments += 1
        }
        if !segments.isEmpty { try FileIO.syncDirectory(layout.journalDirectory) }
        return report
    }

    /// Rewrites one message and its envelope from the journal, durably, replacing whatever
    /// (possibly incomplete) files the crash left. A state file, if any, is newer and kept.
    private static func restore(_ entry: JournalReader.Entry, from reader: JournalReader, layout: SpoolLayout) throws {
        let dataTemporary = layout.temporaryDataPath(entry.id)
        let fd = try FileIO.openFile(dataTemporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try reader.copyData(of: entry, to: fd, path: dataTemporary)
            try FileIO.sync(fd, path: dataTemporary)
            FileIO.closeFile(fd)
        } catch {
            FileIO.closeFile(fd)
            throw error
        }
        try FileIO.renameFile(dataTemporary, layout.dataPath(entry.id))
        try FileIO.replaceFile(
            layout.envelopePath(entry.id), with: entry.envelope,
            temporaryPath: layout.temporaryEnvelopePath(entry.id), durable: true, directory: layout.queueDirectory)
    }
}
