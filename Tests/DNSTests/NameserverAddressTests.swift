import Testing
import DNS

@Suite("Nameserver addresses")
struct NameserverAddressTests {
    @Test("Valid forms", arguments: [
        ("127.0.0.1:5353", "127.0.0.1", UInt16(5353), NameserverAddress.Family.ipv4),
        ("192.0.2.53", "192.0.2.53", 53, .ipv4),
        ("[::1]:5353", "::1", 5353, .ipv6),
        ("2001:db8::53", "2001:db8::53", 53, .ipv6),
        ("[2001:db8::53]", "2001:db8::53", 53, .ipv6),
    ])
    func valid(text: String, host: String, port: UInt16, family: NameserverAddress.Family) throws {
        let address = try #require(NameserverAddress(parsing: text))
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.family == family)
    }

    @Test("Invalid forms", arguments: ["", "ns.example.net", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]x", "1.2.3:53", "127.0.0.1:"])
    func invalid(text: String) {
        #expect(NameserverAddress(parsing: text) == nil)
    }

    @Test("A configuration names the bad entry and refuses more than three servers")
    func configuration() throws {
        #expect(throws: DNSError.self) { try DNSResolverConfiguration(nameservers: ["resolver.example"]) }
        #expect(throws: DNSError.self) {
            try DNSResolverConfiguration(nameservers: ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"])
        }
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:5353"])
        #expect(configuration.nameservers.map(\.description) == ["127.0.0.1:5353"])
    }
}
