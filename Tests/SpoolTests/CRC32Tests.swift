import Testing
@testable import Spool

@Suite("Journal CRC-32")
struct CRC32Tests {
    /// The textbook bit-at-a-time definition, as the reference.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test("the check value of \"123456789\" is CBF43926, and the empty input gives 0")
    func checkValue() {
        var crc = CRC32()
        crc.update(Array("123456789".utf8))
        #expect(crc.value == 0xCBF4_3926)
        #expect(CRC32().value == 0)
    }

    @Test("every length and every split agrees with the bitwise definition")
    func agreesWithReference() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var whole = CRC32()
            whole.update(bytes)
            #expect(whole.value == Self.reference(bytes), "length \(length)")
            let split = length / 3
            var parts = CRC32()
            parts.update(Array(bytes[..<split]))
            parts.update(Array(bytes[split...]))
            #expect(parts.value == whole.value, "length \(length) split at \(split)")
        }
    }
}
