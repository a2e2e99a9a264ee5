/// One header field of a message as it appears on the wire, folding kept.
///
/// `raw` holds the whole field, `Name: value`, continuation lines included and
/// separated by CRLF, but without the CRLF that ends the field. The simple
/// canonicalization (RFC 6376 §3.4.1) needs these exact bytes; the relaxed one
/// (§3.4.2) derives its form from them.
public struct DKIMHeaderField: Hashable, Sendable {
    /// The field name as written (case preserved), e.g. `Subject`.
    public let name: String
    /// The field exactly as in the message, without its final CRLF.
    public let raw: [UInt8]
    /// Offset in `raw` of the first byte after the colon.
    let valueStart: Int

    /// The field name in lower case, the form used in the `h=` tag and for matching.
    public var lowercasedName: String { name.lowercased() }

    /// The bytes after the colon, folding and surrounding white space included.
    public var rawValue: ArraySlice<UInt8> { raw[valueStart...] }

    /// Parses one field from its bytes (`Name: value`, optionally folded with
    /// CRLF + WSP). Returns nil when there is no valid field name before a colon.
    ///
    /// RFC 5322 §3.6.8: `field-name = 1*ftext`, ftext is printable US-ASCII except
    /// `:`. White space between the name and the colon is the obsolete syntax of
    /// RFC 5322 §4.5 and is accepted, as relaxed canonicalization removes it.
    public init?(raw: [UInt8]) {
        var index = 0
        while index < raw.count, Self.isFieldNameByte(raw[index]) {
            index += 1
        }
        let nameEnd = index
        guard nameEnd > 0 else { return nil }
        while index < raw.count, raw[index] == ASCII.space || raw[index] == ASCII.tab {
            index += 1
        }
        guard index < raw.count, raw[index] == ASCII.colon else { return nil }
        self.name = String(decoding: raw[0..<nameEnd], as: UTF8.self)
        self.raw = raw
        self.valueStart = index + 1
    }

    /// RFC 5322 §3.6.8 ftext: %d33-57 / %d59-126.
    static func isFieldNameByte(_ byte: UInt8) -> Bool {
        (33...126).contains(byte) && byte != ASCII.colon
    }
}

/// Byte values used by the parsers and canonicalizers.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let colon: UInt8 = 0x3A
}
