/// What `HeaderScanner` found in a message's header block.
public struct HeaderSummary: Sendable, Hashable {
    /// A `Message-ID:` field is present (RFC 5322 §3.6.4).
    public var hasMessageID: Bool
    /// A `Date:` field is present (RFC 5322 §3.6.1).
    public var hasDate: Bool
    /// How many `From:` fields there are; RFC 5322 §3.6 requires exactly one.
    public var fromFieldCount: Int
    /// The addresses of all `From:` fields in order; nil when a `From:` field could not be
    /// parsed as an address list (RFC 5322 §3.4, groups of RFC 6854 included).
    public var fromAddresses: [Mailbox]?
    /// True when the empty line ending the header block was found.
    public var isComplete: Bool
    /// Octets of the header block including the empty line (when complete), or all the
    /// octets scanned.
    public var headerLength: Int

    /// A `From:` field is present.
    public var hasFrom: Bool { fromFieldCount > 0 }

    /// Creates a summary.
    public init(hasMessageID: Bool = false, hasDate: Bool = false, fromFieldCount: Int = 0,
                fromAddresses: [Mailbox]? = [], isComplete: Bool = false, headerLength: Int = 0) {
        self.hasMessageID = hasMessageID
        self.hasDate = hasDate
        self.fromFieldCount = fromFieldCount
        self.fromAddresses = fromAddresses
        self.isComplete = isComplete
        self.headerLength = headerLength
    }
}
