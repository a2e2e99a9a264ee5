/// A TXT record: one or more character-strings (RFC 1035 §3.3.14).
public struct TXTRecord: Sendable, Hashable, CustomStringConvertible {
    /// The character-strings as they came, each at most 255 octets.
    public var strings: [[UInt8]]

    /// Creates a record.
    public init(strings: [[UInt8]]) {
        self.strings = strings
    }

    /// The strings joined without separator, as SPF (RFC 7208 §3.3) and DKIM
    /// (RFC 6376 §3.6.2.2) read a record that was split into several strings.
    public var text: String {
        String(decoding: strings.joined(), as: UTF8.self)
    }

    /// Same as `text`.
    public var description: String { text }
}

extension TXTRecord {
    /// Decodes a TXT record's data, or nil when a string runs past its end.
    package init?(answer record: AnswerRecord) {
        // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and data.
        var strings: [[UInt8]] = []
        var offset = 0
        while offset < record.rdata.count {
            let length = Int(record.rdata[offset])
            offset += 1
            guard offset + length <= record.rdata.count else { return nil }
            strings.append(Array(record.rdata[offset..<offset + length]))
            offset += length
        }
        self.init(strings: strings)
    }
}
