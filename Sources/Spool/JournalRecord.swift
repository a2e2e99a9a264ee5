/// The commit journal's record format.
///
/// A record is appended for every committed message and every deletion:
///
/// ```
/// magic     4 octets  "PCJ1"
/// kind      1 octet   1 = message, 2 = deletion
/// idLength  1 octet
/// id        idLength octets (a QueueID)
/// envLength 4 octets  big-endian length of the envelope JSON (0 for a deletion)
/// dataLen   8 octets  big-endian length of the message (0 for a deletion)
/// envelope  envLength octets
/// data      dataLen octets, the message exactly as spooled
/// crc       4 octets  big-endian CRC-32 of everything from `kind` to the end of `data`
/// ```
///
/// A crash while appending leaves a record that is short or fails its CRC; replay stops at
/// the first such record, which by construction was never acknowledged (the fdatasync that
/// acknowledges a batch comes after the whole batch is written).
package enum JournalRecord {
    package static let magic: [UInt8] = Array("PCJ1".utf8)

    enum Kind: UInt8 {
        case message = 1
        case deletion = 2
    }

    /// The fixed part before the envelope: everything up to and including `dataLen`.
    static func header(kind: Kind, id: QueueID, envelopeLength: Int, dataLength: UInt64) -> [UInt8] {
        var bytes = magic
        bytes.append(kind.rawValue)
        let idBytes = Array(id.rawValue.utf8)
        bytes.append(UInt8(idBytes.count))
        bytes.append(contentsOf: idBytes)
        appendBigEndian(UInt64(envelopeLength), octets: 4, to: &bytes)
        appendBigEndian(dataLength, octets: 8, to: &bytes)
        return bytes
    }

    static func appendBigEndian(_ value: UInt64, octets: Int, to bytes: inout [UInt8]) {
        for index in stride(from: octets - 1, through: 0, by: -1) {
            bytes.append(UInt8((value >> UInt64(8 * index)) & 0xFF))
        }
    }

    static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
