/// What `HeaderScanner` found in a message's header block.
public struct HeaderSummary: Sendable, Hashable {
    /// A `Message-ID:` field is present (RFC 5322 §3.6.4).
    public var hasMessageID: Bool
    /// A `Date:` field is present (RFC 5322 §3.6.1).
    public var hasDate: Bool
    /// How many `From:` fields there are; RFC 5322 §3.6 requires exactly one.
    public var fromFieldCount: Int
    /// The mailboxes of all `From:` fields in order (RFC 5322 §3.4, RFC 6854 groups
    /// included). Empty when a `From:` field could not be parsed, so a check over these
    /// fails closed; `fromParseFailed` tells the two cases apart.
    public var fromMailboxes: [Mailbox]
    /// True when a `From:` field was present but not a valid address list.
    public var fromParseFailed: Bool
    /// True when the empty line ending the header block was found.
    public var isComplete: Bool
    /// Octets of the header block including the empty line (when complete), or all the
    /// octets scanned.
    public var headerLength: Int

    /// A `From:` field is present.
    public var hasFrom: Bool { fromFieldCount > 0 }

    /// The From addresses as written in a path (`Mailbox.string`).
    public var fromAddresses: [String] { fromMailboxes.map(\.string) }

    /// Creates a summary.
    public init(hasMessageID: Bool = false, hasDate: Bool = false, fromFieldCount: Int = 0,
                fromMailboxes: [Mailbox] = [], fromParseFailed: Bool = false,
                isComplete: Bool = false, headerLength: Int = 0) {
        self.hasMessageID = hasMessageID
        self.hasDate = hasDate
        self.fromFieldCount = fromFieldCount
        self.fromMailboxes = fromMailboxes
        self.fromParseFailed = fromParseFailed
        self.isComplete = isComplete
        self.headerLength = headerLength
    }

    /// Scans a header block: same as `HeaderScanner.scan(_:)`.
    public init(scanning bytes: some Collection<UInt8>) {
        self = HeaderScanner.scan(bytes)
    }
}
