/// A service location record: `priority weight port target` (RFC 2782).
public struct SRVRecord: Sendable, Hashable, CustomStringConvertible {
    /// Lower is tried first.
    public var priority: UInt16
    /// Relative weight among records of equal priority.
    public var weight: UInt16
    /// The service's port on the target.
    public var port: UInt16
    /// The target host without the trailing dot; empty for `.`, which means "service
    /// decidedly not available" (RFC 2782).
    public var target: String

    /// Creates a record.
    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// True when the record says the service is decidedly not available: the target `.`
    /// (RFC 2782; RFC 6186 §4), kept as an empty target or, from other sources, as `.`.
    public var isServiceUnavailable: Bool { target.isEmpty || target == "." }

    /// `10 5 587 smtp.example.net`.
    public var description: String { "\(priority) \(weight) \(port) \(target.isEmpty ? "." : target)" }
}

extension SRVRecord {
    /// Decodes an SRV record's data, or nil when it is malformed.
    package init?(answer record: AnswerRecord) {
        // RFC 2782: Priority, Weight, Port (16 bits each), then Target.
        guard let priority = record.uint16(at: 0), let weight = record.uint16(at: 2),
              let port = record.uint16(at: 4), let target = record.name(at: 6) else { return nil }
        self.init(priority: priority, weight: weight, port: port, target: target)
    }
}
