/// A value from outside (a client's user name, EHLO name, address or command, a remote
/// server's reply, an error that quotes them) as it may appear in a log line.
///
/// A log is read one line per event, by people and by programs. A value that could end the
/// line (CR, LF) would let whoever chose it write a forged event of their own; other control
/// characters can rewrite a terminal. So the description escapes, and never contains a
/// control character:
/// - `\` as `\\` (so an escape in the log always means an escape);
/// - CR, LF, TAB as `\r`, `\n`, `\t`; other C0 controls and DEL as `\xNN`;
/// - octets that are not UTF-8 as `\xNN`;
/// - C1 controls, the Unicode line and paragraph separators (U+2028, U+2029) and the
///   bidirectional controls (U+202A–U+202E, U+2066–U+2069) as `\u{XXXX}`.
///
/// The value is cut after `limit` input octets (at a character boundary) and marked with the
/// full length, so one client cannot fill the log with one command.
public struct LoggedText: Sendable, Hashable, CustomStringConvertible {
    /// The default limit, in input octets: longer than any legitimate SMTP command line
    /// (RFC 5321 §4.5.3.1.4: 512) needs for its interesting part.
    public static let defaultLimit = 512

    /// The escaped text.
    public let description: String

    /// Text that is already a Swift string (so valid UTF-8).
    public init(_ text: String, limit: Int = defaultLimit) {
        self.init(bytes: Array(text.utf8), limit: limit)
    }

    /// Octets as received; they need not be UTF-8.
    public init(bytes: [UInt8], limit: Int = defaultLimit) {
        var out = ""
        out.reserveCapacity(min(bytes.count, limit) + 16)
        var index = 0
        while index < bytes.count {
            if index >= limit {
                out += "…[\(bytes.count) bytes]"
                break
            }
            guard let (scalar, length) = Self.decodeScalar(bytes, at: index) else {
                out += Self.hexEscape(bytes[index])
                index += 1
                continue
            }
            Self.append(scalar, to: &out)
            index += length
        }
        description = out
    }

    /// A value's description, escaped: for errors and other values whose text may quote
    /// what a peer sent.
    public init(describing value: Any, limit: Int = 2048) {
        self.init(String(describing: value), limit: limit)
    }

    /// True when `text` has nothing that escaping would turn into a control-free form: no
    /// control character, line separator or bidirectional control. (A backslash alone is
    /// safe: it cannot end a line.)
    public static func isLineSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains(where: needsEscape)
    }

    // MARK: Escaping

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar.value {
        case 0x5C: out += "\\\\"
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x09: out += "\\t"
        case 0x00...0x1F, 0x7F: out += hexEscape(UInt8(scalar.value))
        case _ where needsEscape(scalar): out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    /// The scalar starting at `index` and its length in octets, or nil when the octets there
    /// are not well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, at most
    /// U+10FFFF).
    private static func decodeScalar(_ bytes: [UInt8], at index: Int) -> (Unicode.Scalar, Int)? {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        if length == 3 && value < 0x800 { return nil }
        if length == 4 && value < 0x10000 { return nil }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
