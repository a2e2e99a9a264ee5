/// A mail exchanger record: `preference exchange` (RFC 1035 §3.3.9).
public struct MXRecord: Sendable, Hashable, CustomStringConvertible {
    /// Lower is tried first (RFC 5321 §5.1).
    public var preference: UInt16
    /// The exchange host name without the trailing dot; empty for the root (`.`).
    public var exchange: String

    /// Creates a record.
    public init(preference: UInt16, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }

    /// True for a null MX, `0 .`: the domain accepts no mail (RFC 7505 §3).
    public var isNullMX: Bool { exchange.isEmpty }

    /// `10 mx.example.net`.
    public var description: String { "\(preference) \(exchange.isEmpty ? "." : exchange)" }
}

extension MXRecord {
    /// Decodes an MX record's data, or nil when it is malformed.
    package init?(answer record: AnswerRecord) {
        // RFC 1035 §3.3.9: PREFERENCE (16 bits) then EXCHANGE (a domain name).
        guard let preference = record.uint16(at: 0), let exchange = record.name(at: 2) else { return nil }
        self.init(preference: preference, exchange: exchange)
    }
}
