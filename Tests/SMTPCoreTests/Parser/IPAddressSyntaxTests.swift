import Testing
@testable import SMTPCore

@Suite struct IPAddressSyntaxTests {
    @Test(arguments: ["0.0.0.0", "198.51.100.7", "255.255.255.255", "1.2.3.4", "010.1.1.1"])
    func validIPv4(text: String) { #expect(IPAddressSyntax.isIPv4(bytes(text))) }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1234.1.1.1", "-1.2.3.4"])
    func invalidIPv4(text: String) { #expect(!IPAddressSyntax.isIPv4(bytes(text))) }

    @Test(arguments: [
        "2001:db8:0:0:0:0:0:1", "2001:db8::1", "::1", "::", "2001:db8::", "fe80::1:2:3:4:5",
        "::ffff:198.51.100.7", "1:2:3:4:5:6:198.51.100.7", "::198.51.100.7", "1:2:3:4::198.51.100.7",
        "ABCD:ef01::9",
    ])
    func validIPv6(text: String) { #expect(IPAddressSyntax.isIPv6(bytes(text))) }

    @Test(arguments: [
        "", ":", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "g::1",
        "1:2:3:4:5:6:7::",            // "::" must stand for two or more groups (RFC 5321 §4.1.3)
        "fe80::1:2:3:4:5:6",          // 7 groups besides "::" (valid in RFC 4291, not RFC 5321)
        "1:2:3:4:5::198.51.100.7",    // too many groups with IPv4
        "1:2:3:4:5:6:7:198.51.100.7", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "::1.2.3",
    ])
    func invalidIPv6(text: String) { #expect(!IPAddressSyntax.isIPv6(bytes(text))) }
}
