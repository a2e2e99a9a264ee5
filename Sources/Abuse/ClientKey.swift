import Policy

/// The key under which a client address is counted and blocked.
///
/// IPv4 addresses count one by one. An IPv6 client counts by its /64: one host normally holds a
/// whole /64 (RFC 7421 §4, SLAAC) and could otherwise take a fresh address for each attempt.
/// An IPv4-mapped IPv6 address (a dual-stack socket's view of an IPv4 peer) counts as the IPv4
/// address. Text that is not an address is used as it is.
public enum ClientKey {
    /// The IPv6 prefix length that counts as one client.
    public static let ipv6PrefixLength = 64

    /// `203.0.113.9` → `203.0.113.9`; `2001:db8:1:2::5` → `2001:db8:1:2::/64`.
    public static func key(for address: String) -> String {
        guard let parsed = IPAddress(parsing: address) else { return address }
        let plain = parsed.unmappingIPv4
        guard plain.family == .v6, let prefix = IPPrefix(containing: plain, length: ipv6PrefixLength) else {
            return plain.description
        }
        return prefix.description
    }
}
