import Foundation

/// What another process (the command line) sees of the owner's journal: messages committed
/// but not yet copied out into `queue/`, read-only.
///
/// The owner appends to its current segment meanwhile; a record still being written is short
/// or fails its CRC, so it is not seen, like recovery would not. A segment removed under our
/// feet (checkpointed) is skipped: its messages are in `queue/` by then.
struct JournalView {
    /// A message found in a segment.
    struct Located {
        let path: String
        let entry: JournalReader.Entry

        func envelope(layout: SpoolLayout) throws -> SpoolEnvelope {
            var envelope: SpoolEnvelope
            do {
                envelope = try SpoolEnvelope.makeDecoder().decode(SpoolEnvelope.self, from: Data(entry.envelope))
            } catch {
                throw SpoolError.corrupt(path: path, reason: "\(error)")
            }
            if let statuses = try Spool.deliveryStatuses(of: entry.id, layout: layout) { envelope.apply(statuses) }
            return envelope
        }

        func open() throws -> MessageReader {
            let fd = try FileIO.openFile(path, O_RDONLY)
            return MessageReader(fd: fd, start: entry.dataOffset, length: Int(entry.dataLength), path: path)
        }
    }

    let layout: SpoolLayout

    init(_ layout: SpoolLayout) {
        self.layout = layout
    }

    /// Every message in the journal without a later deletion record.
    func messages() throws -> [QueueID: Located] {
        let names = try FileIO.entries(of: layout.journalDirectory).filter { $0.hasSuffix(SpoolLayout.segmentSuffix) }.sorted()
        var found: [QueueID: Located] = [:]
        for name in names {
            let path = "\(layout.journalDirectory)/\(name)"
            let reader: JournalReader
            do {
                reader = try JournalReader(path: path)
            } catch SpoolError.io(_, _, ENOENT) {
                continue
            }
            defer { reader.close() }
            for entry in try reader.entries() {
                switch entry.kind {
                case .message: found[entry.id] = Located(path: path, entry: entry)
                case .deletion: found[entry.id] = nil
                }
            }
        }
        return found
    }
}
