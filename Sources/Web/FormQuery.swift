/// The parameters of a URL query, decoded as HTML forms encode them
/// (`application/x-www-form-urlencoded`, WHATWG URL §5.1): `+` is a space,
/// `%XX` a byte, and the bytes are UTF-8.
///
/// Hummingbird's own query parser leaves `+` alone; a GET form sends a typed
/// space as `+` and a typed `+` as `%2B`, so that reading would turn a pasted
/// address with a trailing space into a different address.
struct FormQuery: Sendable {
    /// At most this many parameters are read; the rest are ignored.
    static let maximumParameters = 32

    private var values: [(String, String)] = []

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true).prefix(FormQuery.maximumParameters) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = FormQuery.decode(parts[0])
            let value = parts.count > 1 ? FormQuery.decode(parts[1]) : ""
            values.append((name, value))
        }
    }

    /// The first value of `name`, or nil.
    subscript(_ name: String) -> String? {
        values.first { $0.0 == name }?.1
    }

    /// Percent- and plus-decoding; invalid `%` sequences stay as written and
    /// invalid UTF-8 becomes U+FFFD (WHATWG URL §5.1 "UTF-8 decode without BOM").
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hexValue(iterator[iterator.startIndex]),
                   let low = hexValue(iterator[iterator.startIndex + 1]) {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes `text` for use as a query value in links we generate.
    static func encode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension String {
    /// Left-padded with zeros to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
