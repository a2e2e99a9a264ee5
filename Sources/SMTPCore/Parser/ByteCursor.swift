/// A read position in one command line, used by the recursive-descent parsers.
///
/// Internal: the parsers expose `Result`s and typed errors, never the cursor.
struct ByteCursor {
    let bytes: [UInt8]
    var index: Int

    init(_ bytes: [UInt8], index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var isAtEnd: Bool { index >= bytes.count }
    var remaining: ArraySlice<UInt8> { bytes[index...] }
    var remainingCount: Int { bytes.count - index }

    func peek(_ offset: Int = 0) -> UInt8? {
        let position = index + offset
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    /// Consumes an ASCII literal, comparing case-insensitively (RFC 5234 §2.3: ABNF
    /// quoted strings are case-insensitive).
    mutating func consumeCaseInsensitive(_ literal: String) -> Bool {
        let literalBytes = Array(literal.utf8)
        guard remainingCount >= literalBytes.count else { return false }
        for (offset, expected) in literalBytes.enumerated()
        where ASCII.lowercased(bytes[index + offset]) != ASCII.lowercased(expected) {
            return false
        }
        index += literalBytes.count
        return true
    }

    /// Consumes the longest run of bytes satisfying `predicate`.
    mutating func take(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, predicate(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }
}

/// ASCII character classes from RFC 5234 Appendix B.1 and RFC 5321/5322.
enum ASCII {
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let dot: UInt8 = 0x2E
    static let at: UInt8 = 0x40
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let lessThan: UInt8 = 0x3C
    static let greaterThan: UInt8 = 0x3E
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let hyphen: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B

    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    static func isLetDig(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }

    /// Any octet of a UTF-8 multi-byte sequence (RFC 6531 §3.3 `UTF8-non-ascii`); the
    /// whole line has been validated as UTF-8 before parsing.
    static func isNonASCII(_ byte: UInt8) -> Bool { byte >= 0x80 }

    /// RFC 5322 §3.2.3 `atext`, extended by RFC 6531 §3.3 with `UTF8-non-ascii`.
    static func isAtext(_ byte: UInt8) -> Bool {
        if isAlpha(byte) || isDigit(byte) || isNonASCII(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"),
             UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// RFC 5321 §4.1.2 `qtextSMTP = %d32-33 / %d35-91 / %d93-126`, plus RFC 6531 UTF-8.
    static func isQtextSMTP(_ byte: UInt8) -> Bool {
        (byte >= 32 && byte <= 33) || (byte >= 35 && byte <= 91) || (byte >= 93 && byte <= 126)
            || isNonASCII(byte)
    }

    /// Visible ASCII, RFC 5234 `VCHAR = %x21-7E`.
    static func isVisible(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte + 0x20 : byte
    }

    static func uppercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
    }

    /// Checks that `bytes` is well-formed UTF-8 (RFC 3629 §4), rejecting overlongs,
    /// surrogates and code points above U+10FFFF.
    static func isValidUTF8<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            if first < 0x80 { continue }
            let needed: Int
            var minimum: UInt32
            var scalar: UInt32
            switch first {
            case 0xC2...0xDF: needed = 1; minimum = 0x80; scalar = UInt32(first & 0x1F)
            case 0xE0...0xEF: needed = 2; minimum = 0x800; scalar = UInt32(first & 0x0F)
            case 0xF0...0xF4: needed = 3; minimum = 0x10000; scalar = UInt32(first & 0x07)
            default: return false
            }
            for _ in 0..<needed {
                guard let continuation = iterator.next(), continuation & 0xC0 == 0x80 else { return false }
                scalar = (scalar << 6) | UInt32(continuation & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return false }
        }
        return true
    }
}
