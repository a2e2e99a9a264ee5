/// The unit the infected-line verdict counts by: one IPv4 address, or one IPv6 /64.
///
/// An IPv6 subscriber is given at least a /64 and its devices pick new interface
/// identifiers every day (RFC 8981 temporary addresses), so counting per address would
/// split one infected machine into many small ones.
public struct OP25BSubscriber: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The /32 or /64 counted.
    public let prefix: IPPrefix

    /// The length IPv6 addresses are counted by (RFC 4291 §2.5.1: the interface identifier is 64 bits).
    public static let ipv6PrefixLength = 64

    /// The subscriber an address belongs to; an IPv4-mapped IPv6 address counts as its IPv4 address.
    public init(address: IPAddress) {
        let address = address.unmappingIPv4
        switch address.family {
        case .v4: self.init(prefix: IPPrefix(host: address))
        case .v6: self.init(prefix: IPPrefix(containing: address, length: Self.ipv6PrefixLength)!)
        }
    }

    private init(prefix: IPPrefix) {
        self.prefix = prefix
    }

    /// Parses the stored form (``description``): an IPv4 address or an IPv6 /64.
    public init?(parsing text: some StringProtocol) {
        if let address = IPAddress(parsing: text), address.family == .v4 {
            self.init(address: address)
        } else if let prefix = IPPrefix(parsing: text), prefix.family == .v6, prefix.length == Self.ipv6PrefixLength {
            self.init(prefix: prefix)
        } else {
            return nil
        }
    }

    /// `198.51.100.7` or `2001:db8:1:2::/64`.
    public var description: String { prefix.family == .v4 ? prefix.address.description : prefix.description }

    public static func < (lhs: OP25BSubscriber, rhs: OP25BSubscriber) -> Bool { lhs.prefix < rhs.prefix }
}
