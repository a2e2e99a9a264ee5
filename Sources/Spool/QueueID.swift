import Foundation

/// The identifier of a spooled message: 14 characters, sortable by time, safe as a file name.
///
/// Layout, in Crockford's base32 alphabet (digits and upper-case letters without I, L, O, U,
/// which is in ASCII order, so string order is numeric order):
/// - 9 characters: milliseconds since the Unix epoch (45 bits, good until the year 3084);
/// - 3 characters: a counter for IDs made in the same millisecond (15 bits);
/// - 2 characters: random (10 bits), so two processes sharing a spool are unlikely to collide.
///
/// Within one process IDs are strictly increasing (``QueueIDGenerator`` borrows the next
/// millisecond when the counter runs out), so sorting IDs sorts messages by arrival.
public struct QueueID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// Crockford's base32 digits, in ascending ASCII order.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    static let timeLength = 9
    static let counterLength = 3
    static let randomLength = 2
    /// The total length of an ID.
    public static let length = timeLength + counterLength + randomLength

    /// The ID as text, e.g. `01JD3T2W50001QZ`.
    public let rawValue: String

    /// Accepts only well-formed IDs, so an ID from the command line can never name another
    /// file (`../`, `/`) in the spool.
    public init?(_ description: String) {
        let bytes = Array(description.utf8)
        guard bytes.count == Self.length, bytes.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        rawValue = description
    }

    init(milliseconds: UInt64, counter: UInt64, random: UInt64) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.length)
        Self.appendBase32(milliseconds, digits: Self.timeLength, to: &bytes)
        Self.appendBase32(counter, digits: Self.counterLength, to: &bytes)
        Self.appendBase32(random, digits: Self.randomLength, to: &bytes)
        rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// When the ID was made (to the millisecond; later by a few ms when many IDs were made at once).
    public var timestamp: Date {
        var value: UInt64 = 0
        for byte in rawValue.utf8.prefix(Self.timeLength) {
            value = value * 32 + UInt64(Self.alphabet.firstIndex(of: byte) ?? 0)
        }
        return Date(timeIntervalSince1970: Double(value) / 1000)
    }

    public var description: String { rawValue }

    public static func < (lhs: QueueID, rhs: QueueID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = QueueID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a queue ID: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func appendBase32(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        for position in stride(from: digits - 1, through: 0, by: -1) {
            bytes.append(alphabet[Int((value >> UInt64(5 * position)) & 31)])
        }
    }
}
