/// The `xtext` encoding used by DSN and AUTH= parameters (RFC 3461 §4).
///
/// ```
/// xtext = *( xchar / hexchar )
/// xchar = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
///         except for "+" and "=".
/// hexchar = ASCII "+" immediately followed by two upper case
///           hexadecimal digits
/// ```
public enum XText {
    /// Decodes xtext to bytes; nil when the text is not valid xtext.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            if byte == ASCII.plus {
                guard let high = iterator.next(), let low = iterator.next(),
                      let highValue = upperHexValue(high), let lowValue = upperHexValue(low) else { return nil }
                out.append(highValue << 4 | lowValue)
            } else if byte >= 33, byte <= 126, byte != ASCII.equals {
                out.append(byte)
            } else {
                return nil
            }
        }
        return out
    }

    /// Encodes bytes as xtext: `+`, `=`, controls, space and non-ASCII become `+XX`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            if byte >= 33, byte <= 126, byte != ASCII.plus, byte != ASCII.equals {
                out.append(byte)
            } else {
                out.append(ASCII.plus)
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `text` is valid xtext.
    public static func isValid(_ text: some Collection<UInt8>) -> Bool { decode(text) != nil }

    // RFC 3461 §4 requires upper-case hex digits after "+".
    private static func upperHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
