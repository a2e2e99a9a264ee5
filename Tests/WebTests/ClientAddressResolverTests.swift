import Policy
import Testing
@testable import Web

@Suite struct ClientAddressResolverTests {
    let resolver = ClientAddressResolver.parse(["127.0.0.1", "10.0.0.0/8", "::1", "not-an-address"]).resolver

    func ip(_ text: String) -> IPAddress { IPAddress(parsing: text)! }

    @Test func invalidProxyEntriesAreReported() {
        #expect(ClientAddressResolver.parse(["127.0.0.1", "nonsense"]).invalid == ["nonsense"])
    }

    @Test(arguments: [
        // peer, X-Forwarded-For values, expected client
        ("198.51.100.7", ["203.0.113.9"], "198.51.100.7"),            // untrusted peer: header ignored
        ("127.0.0.1", [], "127.0.0.1"),                              // trusted peer without header
        ("127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
        ("127.0.0.1", ["198.51.100.1, 203.0.113.9"], "203.0.113.9"), // forged left entry ignored
        ("127.0.0.1", ["203.0.113.9, 10.1.2.3"], "203.0.113.9"),     // chain of trusted proxies
        ("127.0.0.1", ["198.51.100.1", "203.0.113.9"], "203.0.113.9"),// several header lines
        ("127.0.0.1", ["garbage"], "127.0.0.1"),
        ("127.0.0.1", ["203.0.113.9, unknown"], "127.0.0.1"),
        ("127.0.0.1", ["[2001:db8:100::5]:4711"], "2001:db8:100::5"),
        ("127.0.0.1", ["203.0.113.9:4711"], "203.0.113.9"),
        ("::1", ["2001:db8:100::5"], "2001:db8:100::5"),
        ("::ffff:127.0.0.1", ["203.0.113.9"], "203.0.113.9"),       // v4-mapped peer matches v4 proxy
        ("::ffff:203.0.113.9", [], "203.0.113.9"),                  // reported unmapped
    ])
    func resolves(peer: String, forwardedFor: [String], expected: String) {
        #expect(resolver.clientAddress(peer: ip(peer), forwardedFor: forwardedFor) == ip(expected))
    }

    @Test func noPeerMeansNoAddress() {
        #expect(resolver.clientAddress(peer: nil, forwardedFor: ["203.0.113.9"]) == nil)
    }
}
