import Foundation
import Spool

/// A damaged journal segment, as a crash, a full disk or a bad block may leave it, fed to
/// spool recovery in a scratch directory, then the restored messages listed and read.
///
/// The first input byte is a mode: when its low bit is set, every record the harness can
/// frame gets a correct CRC-32 before the segment is written, so that the fuzzer reaches
/// what lies behind the checksum (queue IDs, envelope JSON, message lengths) instead of
/// spending its time on records that fail it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    var segment = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    if start[0] & 1 == 1 { JournalRecordFraming.fixChecksums(&segment) }

    let root = scratchDirectory
    _ = removeScratchDirectoryAtExit
    try? FileManager.default.removeItem(atPath: root)
    let journal = "\(root)/journal"
    try! FileManager.default.createDirectory(atPath: journal, withIntermediateDirectories: true)
    try! Data(segment).write(to: URL(fileURLWithPath: "\(journal)/0000000000000001.log"))

    do {
        let spool = try Spool(directory: root)
        defer { spool.close() }
        for summary in try spool.list() {
            _ = try? spool.envelope(of: summary.id)
            _ = try? spool.messageData(of: summary.id)
        }
    } catch {
        _ = String(describing: error)
    }
    return 0
}

/// One scratch directory per fuzzer process, removed and recreated for every input. On tmpfs
/// (/dev/shm) when there is one: recovery fsyncs, which costs nothing there.
private let scratchDirectory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm")
        ? "/dev/shm" : ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return "\(base)/portcullis-fuzz-journal-\(getpid())"
}()

/// Removes the scratch directory when libFuzzer exits normally (a crash leaves it for a look).
private let removeScratchDirectoryAtExit: Void = {
    atexit { try? FileManager.default.removeItem(atPath: scratchDirectory) }
}()

/// Walks the records of a segment as `JournalRecord` lays them out and overwrites each
/// record's CRC-32 with the right one; stops where a record cannot be framed.
enum JournalRecordFraming {
    static func fixChecksums(_ segment: inout [UInt8]) {
        var offset = 0
        while offset + 6 <= segment.count, Array(segment[offset..<offset + 4]) == JournalRecord.magic {
            let idLength = Int(segment[offset + 5])
            let lengths = offset + 6 + idLength
            guard lengths + 12 <= segment.count else { return }
            let envelopeLength = bigEndian(segment[lengths..<lengths + 4])
            let dataLength = bigEndian(segment[lengths + 4..<lengths + 12])
            let (bodyLength, overflow) = envelopeLength.addingReportingOverflow(dataLength)
            guard !overflow, bodyLength <= UInt64(segment.count) else { return }
            let crcOffset = lengths + 12 + Int(bodyLength)
            guard crcOffset + 4 <= segment.count else { return }
            var crc = CRC32()
            crc.update(Array(segment[offset + 4..<crcOffset]))
            let value = crc.value
            for index in 0..<4 { segment[crcOffset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index)) }
            offset = crcOffset + 4
        }
    }

    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
