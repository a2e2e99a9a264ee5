/// Base64 (RFC 4648 §4) for SASL exchanges, without Foundation.
///
/// Decoding is strict, as RFC 4954 §4 expects: only the standard alphabet, correct
/// padding, no whitespace. A malformed response gets 501 rather than a guess.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes with padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(value >> 18 & 0x3F)])
            out.append(alphabet[Int(value >> 12 & 0x3F)])
            out.append(alphabet[Int(value >> 6 & 0x3F)])
            out.append(alphabet[Int(value & 0x3F)])
            index += 3
        }
        let rest = input.count - index
        if rest == 1 {
            let value = UInt32(input[index]) << 16
            out.append(alphabet[Int(value >> 18 & 0x3F)])
            out.append(alphabet[Int(value >> 12 & 0x3F)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 0x3F)])
            out.append(alphabet[Int(value >> 12 & 0x3F)])
            out.append(alphabet[Int(value >> 6 & 0x3F)])
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes the UTF-8 bytes of a string.
    public static func encode(_ string: String) -> String { encode(Array(string.utf8)) }

    /// Decodes padded base64; nil when the input is not canonical base64 (wrong length,
    /// characters outside the alphabet, misplaced padding, or non-zero trailing bits).
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(text)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLastQuad = index + 4 == input.count
            var values: [UInt32] = []
            var padding = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                if byte == UInt8(ascii: "=") {
                    // Padding only at the end of the last quad, at most two characters.
                    guard isLastQuad, offset >= 2 else { return nil }
                    padding += 1
                    continue
                }
                guard padding == 0 else { return nil }
                let value = decodeTable[Int(byte)]
                guard value != 0xFF else { return nil }
                values.append(UInt32(value))
            }
            switch values.count {
            case 4:
                let value = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
                out.append(UInt8(value >> 16 & 0xFF))
                out.append(UInt8(value >> 8 & 0xFF))
                out.append(UInt8(value & 0xFF))
            case 3:
                guard values[2] & 0x03 == 0 else { return nil }
                let value = values[0] << 18 | values[1] << 12 | values[2] << 6
                out.append(UInt8(value >> 16 & 0xFF))
                out.append(UInt8(value >> 8 & 0xFF))
            case 2:
                guard values[1] & 0x0F == 0 else { return nil }
                let value = values[0] << 18 | values[1] << 12
                out.append(UInt8(value >> 16 & 0xFF))
            default:
                return nil
            }
            index += 4
        }
        return out
    }

    /// Decodes base64 text.
    public static func decode(_ string: String) -> [UInt8]? { decode(Array(string.utf8)) }

    /// True for bytes of the base64 alphabet or `=`.
    static func isAlphabetOrPad(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || decodeTable[Int(byte)] != 0xFF
    }
}
