import Testing
@testable import Policy

@Suite("IPAddress")
struct IPAddressTests {
    @Test("IPv4 parses and prints dotted-quad", arguments: [
        ("0.0.0.0", UInt32(0)),
        ("203.0.113.9", UInt32(0xCB00_7109)),
        ("255.255.255.255", UInt32.max),
        ("198.51.100.25", UInt32(0xC633_6419)),
    ])
    func ipv4(text: String, bits: UInt32) throws {
        let address = try IPAddress(text)
        #expect(address.family == .v4)
        #expect(address.value == UInt128(bits))
        #expect(address.description == text)
    }

    // RFC 5952 §4 canonical forms; left is accepted input, right what we print.
    @Test("IPv6 canonical text follows RFC 5952", arguments: [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),       // §4.1 leading zeros, §4.2.1 ::
        ("2001:DB8::1", "2001:db8::1"),                                     // §4.3 lowercase
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),                   // §4.2.2 one zero group stays
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),                      // §4.2.3 first run on a tie
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),                            // §4.2.3 longest run
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),                             // :: for one group accepted, not printed
        ("::ffff:203.0.113.9", "::ffff:203.0.113.9"),                        // §5 mixed notation for mapped
        ("::FFFF:cb00:7109", "::ffff:203.0.113.9"),
        ("2001:db8:100::", "2001:db8:100::"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("fe80:0:0:0:0:0:0:0", "fe80::"),
    ])
    func ipv6Canonical(input: String, canonical: String) throws {
        let address = try IPAddress(input)
        #expect(address.family == .v6)
        #expect(address.description == canonical)
        // The canonical form parses back to the same address.
        #expect(try IPAddress(canonical) == address)
    }

    @Test("Garbage is rejected with an error, never a crash", arguments: [
        "", " ", "203.0.113", "203.0.113.9.1", "203.0.113.256", "203.0.113.-1", "203.0.113.09",
        "010.0.0.1", "0x7f.0.0.1", "1e2.0.0.1", "203.0.113.9 ", " 203.0.113.9", "203..113.9", "203.0.113.",
        "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1::2::3", ":::", "1:::2", ":1::2", "1::2:", "12345::",
        "g::1", "fe80::1%eth0", "[2001:db8::1]", "::ffff:1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5",
        "2001:db8::/32", "١٢٣.0.0.1",
    ])
    func garbage(text: String) {
        #expect(throws: IPParseError.self) { try IPAddress(text) }
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test("Huge input is rejected quickly")
    func hugeInput() {
        let huge = String(repeating: "1:", count: 50_000) + "1"
        #expect(throws: IPParseError.self) { try IPAddress(huge) }
        let error = #expect(throws: IPParseError.self) { try IPPrefix(huge + "/24") }
        // The message stays one short line.
        #expect((error?.description.count ?? .max) < 120)
    }

    @Test("IPv4-mapped IPv6 unmaps to the IPv4 address")
    func mapped() throws {
        let mapped = try IPAddress("::ffff:203.0.113.9")
        #expect(mapped.isIPv4Mapped)
        #expect(mapped.unmappingIPv4 == (try IPAddress("203.0.113.9")))
        // Neither plain IPv6 nor IPv4 are changed.
        let plain = try IPAddress("2001:db8::ffff:cb00:7109")
        #expect(!plain.isIPv4Mapped)
        #expect(plain.unmappingIPv4 == plain)
        let v4 = try IPAddress("203.0.113.9")
        #expect(v4.unmappingIPv4 == v4)
        // The IPv4-compatible form ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1) is not mapped.
        #expect(!(try IPAddress("::203.0.113.9")).isIPv4Mapped)
    }

    @Test("Sort order: IPv4 before IPv6, then numeric")
    func ordering() throws {
        let texts = ["2001:db8::1", "203.0.113.10", "::1", "203.0.113.9", "10.0.0.1"]
        let sorted = try texts.map { try IPAddress($0) }.sorted().map(\.description)
        #expect(sorted == ["10.0.0.1", "203.0.113.9", "203.0.113.10", "::1", "2001:db8::1"])
    }
}
