import Testing
@testable import SMTPCore

@Suite struct XTextTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a+2Bb", "a+b"),
        ("a+3Db", "a=b"),
        ("+20", " "),
        ("", ""),
        ("+E3+83+A6", "ユ"),
    ])
    func decode(encoded: String, decoded: String) {
        #expect(XText.decode(bytes(encoded)) == bytes(decoded))
    }

    @Test(arguments: ["a=b", "a b", "+2", "+2b", "+GG", "a\u{7F}"])
    func invalid(encoded: String) {
        #expect(XText.decode(bytes(encoded)) == nil)
    }

    @Test(arguments: ["user+tag@example.net", "a=b c", "ユーザー", "", "+++"])
    func roundTrip(text: String) {
        let encoded = XText.encode(bytes(text))
        #expect(XText.isValid(bytes(encoded)))
        #expect(XText.decode(bytes(encoded)) == bytes(text))
    }

    @Test func encodeEscapesPlusAndEquals() {
        #expect(XText.encode(bytes("a+b=c d")) == "a+2Bb+3Dc+20d")
    }
}
