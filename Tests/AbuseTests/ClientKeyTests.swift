import Abuse
import Testing

@Suite struct ClientKeyTests {
    @Test("IPv4 by address, IPv6 by /64, mapped IPv4 as IPv4, anything else as given", arguments: [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2::5", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("unknown", "unknown"),
    ])
    func key(address: String, expected: String) {
        #expect(ClientKey.key(for: address) == expected)
    }
}
