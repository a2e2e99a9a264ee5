import Testing
@testable import Web

@Suite struct CheckedAddressTests {
    @Test(arguments: [
        // input, address, unicodeDomain
        ("taro@alato.example", "taro@alato.example", nil),
        ("  Taro@ALATO.Example \n", "Taro@alato.example", nil),
        ("taro＠alato.example", "taro@alato.example", nil),                  // full-width @
        ("ｔａｒｏ＠ａｌａｔｏ．ｅｘａｍｐｌｅ", "taro@alato.example", nil),  // full-width everything
        ("taro@alato。example", "taro@alato.example", nil),     // ideographic full stop
        ("hanako@ドメイン名例.jp", "hanako@xn--eckwd4c7cu47r2wf.jp", "ドメイン名例.jp"),
        ("hanako@ドメイン名例.JP", "hanako@xn--eckwd4c7cu47r2wf.jp", "ドメイン名例.JP"),
        ("user@Bücher.example", "user@xn--bcher-kva.example", "Bücher.example"),
        ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example", nil),
        ("first.last+tag@example.net", "first.last+tag@example.net", nil),
        ("太郎@example.jp", "太郎@example.jp", nil),                          // RFC 6531 local part
        ("a@b.example.", "a@b.example", nil),                       // absolute name
    ] as [(String, String, String?)])
    func accepts(input: String, address: String, unicodeDomain: String?) throws {
        let checked = try CheckedAddress(input)
        #expect(checked.address == address)
        #expect(checked.unicodeDomain == unicodeDomain)
    }

    @Test(arguments: [
        ("", AddressProblem.missing),
        ("   ", .missing),
        ("taro.alato.example", .noAtSign),
        ("@alato.example", .invalidLocalPart),
        ("taro@", .invalidDomain),
        ("ta ro@alato.example", .invalidLocalPart),
        (".taro@alato.example", .invalidLocalPart),
        ("taro.@alato.example", .invalidLocalPart),
        ("ta..ro@alato.example", .invalidLocalPart),
        ("\"taro\"@alato.example", .invalidLocalPart),
        ("<script>@alato.example", .invalidLocalPart),
        ("taro@<script>.example", .invalidDomain),
        ("taro@alato..example", .invalidDomain),
        ("taro@-alato.example", .invalidDomain),
        ("taro@alato-.example", .invalidDomain),
        ("taro@alato_mail.example", .invalidDomain),
        ("taro@192.0.2.1", .invalidDomain),
        ("taro@[192.0.2.1]", .addressLiteral),
        ("taro@😀.example", .invalidDomain),
        ("taro@ab--例.example", .invalidDomain),             // RFC 5891 §4.2.3.1
        (String(repeating: "a", count: 65) + "@alato.example", .localPartTooLong),
        ("taro@" + String(repeating: "a", count: 64) + ".example", .domainTooLong),
        ("taro@" + String(repeating: "ドメイン", count: 20) + ".example", .domainTooLong),
        ("taro@" + Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: "."), .domainTooLong),
        (String(repeating: "a", count: 64) + "@" + Array(repeating: String(repeating: "b", count: 60), count: 3).joined(separator: ".") + ".example", .tooLong),
        (String(repeating: "x", count: 5000), .tooLong),
    ] as [(String, AddressProblem)])
    func refuses(input: String, problem: AddressProblem) {
        #expect(throws: problem) { try CheckedAddress(input) }
    }

    @Test func hugeInputIsRefusedCheaply() {
        let input = String(repeating: "ド", count: 1_000_000) + "@example.net"
        #expect(throws: AddressProblem.tooLong) { try CheckedAddress(input) }
    }
}
