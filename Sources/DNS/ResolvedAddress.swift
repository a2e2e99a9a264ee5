/// An IP address from an A or AAAA record, in its textual form.
public struct ResolvedAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// From an A record.
        case ipv4
        /// From an AAAA record.
        case ipv6
    }

    /// Which record the address came from.
    public var family: Family
    /// `198.51.100.20` or `2001:db8::20` (RFC 5952 form, as inet_ntop writes it).
    public var text: String

    /// Creates an address.
    public init(family: Family, text: String) {
        self.family = family
        self.text = text
    }

    /// The address text.
    public var description: String { text }
}
