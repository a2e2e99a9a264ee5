import Testing
@testable import Policy

@Suite("IPPrefix")
struct IPPrefixTests {
    @Test("Valid prefixes parse to their canonical form", arguments: [
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("203.0.113.9", "203.0.113.9/32"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("2001:DB8:100::/40", "2001:db8:100::/40"),
        ("2001:db8:0:0:0:0:0:25", "2001:db8::25/128"),
        ("::/0", "::/0"),
        ("198.51.100.25/32", "198.51.100.25/32"),
    ])
    func valid(text: String, canonical: String) throws {
        #expect(try IPPrefix(text).description == canonical)
    }

    @Test("Host bits set are refused with the corrected prefix", arguments: [
        ("203.0.113.5/24", "203.0.113.0/24"),
        ("2001:db8:100::1/48", "2001:db8:100::/48"),
        ("2001:db8:1ff::/40", "2001:db8:100::/40"),
        ("10.0.0.1/0", "0.0.0.0/0"),
    ])
    func hostBits(text: String, suggestion: String) throws {
        let error = #expect(throws: IPParseError.self) { try IPPrefix(text) }
        #expect(error == .hostBitsSet(suggestion: try IPPrefix(suggestion)))
        #expect(error?.description == "host bits set, did you mean \(suggestion)")
    }

    @Test("Bad lengths are refused", arguments: [
        "203.0.113.0/33", "203.0.113.0/", "203.0.113.0/-1", "203.0.113.0/+24", "203.0.113.0/024",
        "203.0.113.0/24/1", "203.0.113.0/2a", "2001:db8::/129", "2001:db8::/1000", "/24", "203.0.113.0 /24",
    ])
    func badLength(text: String) {
        #expect(throws: IPParseError.self) { try IPPrefix(text) }
    }

    @Test("Length out of range names the family limit")
    func outOfRangeMessage() {
        let error = #expect(throws: IPParseError.self) { try IPPrefix("2001:db8::/129") }
        #expect(error == .lengthOutOfRange(length: 129, family: .v6))
        #expect(error?.description == "prefix length 129 is too long for IPv6 (at most 128)")
    }

    @Test("IPv4-mapped IPv6 prefixes are refused, suggesting the IPv4 prefix")
    func mappedPrefix() throws {
        let error = #expect(throws: IPParseError.self) { try IPPrefix("::ffff:203.0.113.0/120") }
        #expect(error == .ipv4MappedPrefix(suggestion: try IPPrefix("203.0.113.0/24")))
        #expect(error?.description.contains("203.0.113.0/24") == true)
        // A single mapped address is refused too: never a silent IPv6 host entry that matches nothing.
        #expect(throws: IPParseError.self) { try IPPrefix("::ffff:198.51.100.25") }
    }

    @Test("contains: inside, outside, edges, other family")
    func contains() throws {
        let p = try IPPrefix("203.0.113.0/24")
        #expect(p.contains(try IPAddress("203.0.113.0")))
        #expect(p.contains(try IPAddress("203.0.113.255")))
        #expect(!p.contains(try IPAddress("203.0.112.255")))
        #expect(!p.contains(try IPAddress("203.0.114.0")))
        #expect(!p.contains(try IPAddress("2001:db8::1")))
        #expect(p.lastAddress == (try IPAddress("203.0.113.255")))
        let p6 = try IPPrefix("2001:db8:100::/40")
        #expect(p6.contains(try IPAddress("2001:db8:1ff:ffff::1")))
        #expect(!p6.contains(try IPAddress("2001:db8:200::")))
        #expect(try IPPrefix("::/0").contains(try IPAddress("2001:db8::1")))
        #expect(!(try IPPrefix("::/0")).contains(try IPAddress("203.0.113.9")))
        #expect(try IPPrefix("0.0.0.0/0").contains(try IPAddress("203.0.113.9")))
    }

    @Test("A v4-mapped client address matches the IPv4 prefix")
    func mappedClient() throws {
        let p = try IPPrefix("203.0.113.0/24")
        #expect(p.contains(try IPAddress("::ffff:203.0.113.9")))
        #expect(!p.contains(try IPAddress("::ffff:198.51.100.9")))
    }

    @Test("overlaps and prefix containment")
    func overlaps() throws {
        let wide = try IPPrefix("203.0.113.0/24")
        let narrow = try IPPrefix("203.0.113.128/25")
        let other = try IPPrefix("198.51.100.0/24")
        #expect(wide.contains(narrow))
        #expect(!narrow.contains(wide))
        #expect(wide.overlaps(narrow) && narrow.overlaps(wide))
        #expect(!wide.overlaps(other))
        #expect(!wide.overlaps(try IPPrefix("::/0")))
        #expect(try IPPrefix("203.0.113.0/25").overlaps(narrow) == false)
    }

    @Test("Sorting is by family, address, then length")
    func sorting() throws {
        let texts = ["2001:db8::/32", "203.0.113.128/25", "203.0.113.0/25", "203.0.113.0/24", "10.0.0.0/8"]
        let sorted = try texts.map { try IPPrefix($0) }.sorted().map(\.description)
        #expect(sorted == ["10.0.0.0/8", "203.0.113.0/24", "203.0.113.0/25", "203.0.113.128/25", "2001:db8::/32"])
    }
}
