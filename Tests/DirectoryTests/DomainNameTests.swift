import Testing
@testable import Directory

@Suite("Domain name validation")
struct DomainNameTests {
    @Test("valid names are lower-cased", arguments: [
        ("alato.example", "alato.example"),
        ("ALATO.Example", "alato.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("mail-1.virtual.example", "mail-1.virtual.example"),
        ("localhost", "localhost"),
    ])
    func valid(input: String, expected: String) throws {
        #expect(try DomainName.normalise(input) == expected)
    }

    @Test("invalid names are refused", arguments: [
        "", "bücher.example", "alato.example.", ".alato.example", "alato..example",
        "-alato.example", "alato-.example", "al_ato.example", "alato example", "198.51.100.7",
        "[198.51.100.7]", String(repeating: "a", count: 64) + ".example",
        Array(repeating: "abcdefghi", count: 26).joined(separator: "."),
    ])
    func invalid(input: String) {
        #expect(throws: DirectoryError.self) { try DomainName.normalise(input) }
    }
}

@Suite("Directory address rules")
struct DirectoryAddressTests {
    @Test("stored addresses keep the local part's case and lower-case the domain", arguments: [
        ("Taro@ALATO.example", "Taro@alato.example", "taro@alato.example"),
        ("first.last+tag@virtual.example", "first.last+tag@virtual.example", "first.last+tag@virtual.example"),
        ("Ünïcode@alato.example", "Ünïcode@alato.example", "ünïcode@alato.example"),
    ])
    func storage(input: String, display: String, key: String) throws {
        let address = try DirectoryAddress.parseForStorage(input)
        #expect(address.display == display)
        #expect(address.key == key)
    }

    @Test("unusable addresses are refused", arguments: [
        "taro", "@alato.example", "taro@", ".taro@alato.example", "taro.@alato.example", "ta..ro@alato.example",
        "ta ro@alato.example", "\"taro\"@alato.example", "user%example.net@alato.example", "example.net!user@alato.example",
        "taro@alato.example.", "taro@[198.51.100.7]", String(repeating: "a", count: 65) + "@alato.example",
        "ta\u{7}ro@alato.example",
    ])
    func refused(input: String) {
        #expect(throws: DirectoryError.self) { try DirectoryAddress.parseForStorage(input) }
    }
}

@Suite("Network prefixes for exemptions")
struct ExemptionPrefixTests {
    @Test("prefixes are canonicalised", arguments: [
        ("203.0.113.7", "203.0.113.7/32"),
        ("203.0.113.0/24", "203.0.113.0/24"),
        (" 2001:DB8:0:0::/48 ", "2001:db8::/48"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ])
    func canonical(input: String, expected: String) throws {
        #expect(try OP25BExemption.canonicalPrefix(input) == expected)
    }

    @Test("bad prefixes are refused", arguments: [
        "", "/24", "203.0.113.0/33", "203.0.113.1/24", "2001:db8::/129", "example.net", "203.0.113.0/24/1", "203.0.113.0/x",
    ])
    func refused(input: String) {
        #expect(throws: DirectoryError.self) { try OP25BExemption.canonicalPrefix(input) }
    }
}
