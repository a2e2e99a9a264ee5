import Foundation

/// Reads the complete records of one journal segment, for recovery.
///
/// Message data is not loaded into memory: a record gives its offset and length in the
/// segment, and ``copyData(of:to:path:)`` streams it out.
struct JournalReader {
    /// One complete, checksum-verified record.
    struct Entry {
        var kind: JournalRecord.Kind
        var id: QueueID
        var envelope: [UInt8]
        var dataOffset: UInt64
        var dataLength: UInt64
    }

    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = try FileIO.openFile(path, O_RDONLY)
    }

    func close() {
        FileIO.closeFile(fd)
    }

    /// All complete records, stopping at the first torn or damaged one.
    func entries() throws -> [Entry] {
        let fileLength = try FileIO.size(of: fd, path: path)
        var offset: UInt64 = 0
        var entries: [Entry] = []
        while let (entry, next) = try readEntry(at: offset, fileLength: fileLength) {
            entries.append(entry)
            offset = next
        }
        return entries
    }

    private func readEntry(at offset: UInt64, fileLength: UInt64) throws -> (Entry, UInt64)? {
        // magic + kind + idLength
        guard let start = try FileIO.readExactly(fd, count: 6, at: offset, path: path),
              Array(start[0..<4]) == JournalRecord.magic,
              let kind = JournalRecord.Kind(rawValue: start[4]) else { return nil }
        let idLength = Int(start[5])
        guard let rest = try FileIO.readExactly(fd, count: idLength + 12, at: offset + 6, path: path) else { return nil }
        guard let id = QueueID(String(decoding: rest[0..<idLength], as: UTF8.self)) else { return nil }
        let envelopeLength = JournalRecord.readBigEndian(rest[idLength..<(idLength + 4)])
        let dataLength = JournalRecord.readBigEndian(rest[(idLength + 4)..<(idLength + 12)])
        let envelopeOffset = offset + 6 + UInt64(idLength) + 12
        // Lengths from a torn write can be anything: check them against the file before allocating.
        let (afterEnvelope, overflow1) = envelopeOffset.addingReportingOverflow(envelopeLength)
        let (afterData, overflow2) = afterEnvelope.addingReportingOverflow(dataLength)
        guard !overflow1, !overflow2, afterData + 4 <= fileLength else { return nil }
        guard let envelope = try FileIO.readExactly(fd, count: Int(envelopeLength), at: envelopeOffset, path: path) else { return nil }

        var crc = CRC32()
        crc.update(Array(start[4..<6]))
        crc.update(rest)
        crc.update(envelope)
        try stream(from: afterEnvelope, length: dataLength) { crc.update($0) }
        guard let stored = try FileIO.readExactly(fd, count: 4, at: afterData, path: path),
              UInt32(JournalRecord.readBigEndian(stored[...])) == crc.value else { return nil }
        let entry = Entry(kind: kind, id: id, envelope: envelope, dataOffset: afterEnvelope, dataLength: dataLength)
        return (entry, afterData + 4)
    }

    /// Writes the message data of `entry` to `destination`.
    func copyData(of entry: Entry, to destination: Int32, path destinationPath: String) throws {
        var written: UInt64 = 0
        try stream(from: entry.dataOffset, length: entry.dataLength) { chunk in
            try FileIO.writeAll(destination, chunk, at: written, path: destinationPath)
            written += UInt64(chunk.count)
        }
    }

    private func stream(from offset: UInt64, length: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let chunkSize = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var done: UInt64 = 0
        while done < length {
            let want = Int(min(UInt64(chunkSize), length - done))
            let got = try FileIO.readSome(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset + done, path: path)
            guard got > 0 else { throw SpoolError.corrupt(path: path, reason: "a record ends early") }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            done += UInt64(got)
        }
    }
}
