import Testing
@testable import SMTPCore

@Suite struct LoggedTextTests {
    @Test(arguments: [
        ("taro@alato.example", "taro@alato.example"),
        ("550 5.1.1 <x@y> unknown", "550 5.1.1 <x@y> unknown"),
        ("東京@alato.example", "東京@alato.example"),
        ("a\r\nb", "a\\r\\nb"),
        ("a\nb", "a\\nb"),
        ("tab\there", "tab\\there"),
        ("bell\u{07}esc\u{1B}[2J del\u{7F}", "bell\\x07esc\\x1B[2J del\\x7F"),
        ("back\\slash", "back\\\\slash"),
        ("nul\u{0}", "nul\\x00"),
        ("c1\u{85}next", "c1\\u{85}next"),
        ("line\u{2028}sep\u{2029}", "line\\u{2028}sep\\u{2029}"),
        ("bidi\u{202E}txt.exe\u{2066}", "bidi\\u{202E}txt.exe\\u{2066}"),
    ])
    func escapes(input: String, expected: String) {
        #expect(LoggedText(input).description == expected)
    }

    @Test func descriptionNeverHoldsAControlCharacter() {
        let every = String(decoding: (0...0x7F).map { UInt8($0) }, as: UTF8.self) + "\u{80}\u{9F}\u{2028}"
        let text = LoggedText(every).description
        #expect(LoggedText.isLineSafe(text))
        #expect(!text.contains("\n") && !text.contains("\r"))
    }

    @Test(arguments: [
        ([0x61, 0xFF, 0x62] as [UInt8], "a\\xFFb"),                   // never UTF-8
        ([0xC0, 0x8A], "\\xC0\\x8A"),                                   // overlong LF
        ([0xE0, 0x80, 0x8A], "\\xE0\\x80\\x8A"),                        // overlong LF, 3 octets
        ([0xED, 0xA0, 0x80], "\\xED\\xA0\\x80"),                        // a surrogate
        ([0xF4, 0x90, 0x80, 0x80], "\\xF4\\x90\\x80\\x80"),             // past U+10FFFF
        ([0xE6, 0x9D, 0xB1, 0xE6], "東\\xE6"),                          // cut sequence
        ([0x0D, 0x0A, 0x2E, 0x0D, 0x0A], "\\r\\n.\\r\\n"),
    ])
    func escapesBytesThatAreNotUTF8(bytes: [UInt8], expected: String) {
        #expect(LoggedText(bytes: bytes).description == expected)
    }

    @Test func longValuesAreCutAndMarked() {
        let long = String(repeating: "x", count: 10_000)
        let text = LoggedText(long).description
        #expect(text == String(repeating: "x", count: LoggedText.defaultLimit) + "…[10000 bytes]")
        // The cut never splits a character.
        let wide = LoggedText(String(repeating: "東", count: 4), limit: 4).description
        #expect(wide == "東東…[12 bytes]")
    }

    @Test func describingEscapesAnErrorsText() {
        struct Failure: Error, CustomStringConvertible { var description: String { "remote said: 550 no\r\n250 ok" } }
        #expect(LoggedText(describing: Failure()).description == "remote said: 550 no\\r\\n250 ok")
    }

    @Test func lineSafety() {
        #expect(LoggedText.isLineSafe("a plain \\ value"))
        #expect(!LoggedText.isLineSafe("two\nlines"))
        #expect(!LoggedText.isLineSafe("nel\u{85}"))
    }
}

@Suite struct FailedLoginNameTests {
    @Test func anAddressIsLoggedEscaped() {
        #expect(FailedLoginName("taro@alato.example") == .address(LoggedText("taro@alato.example")))
        let field = FailedLoginName("taro@alato.example").field
        #expect(field.key == "user" && field.value == "taro@alato.example")
    }

    @Test(arguments: ["Kasumi-gaseki 7 tsuki!", "taro", "", "taro@alato.example\r\n2026 notice fake: line",
                      "taro@alato.example\u{0}password"])
    func anythingElseOnlyByLength(name: String) {
        let field = FailedLoginName(name).field
        #expect(field.key == "user_length")
        #expect(field.value == String(name.utf8.count))
    }
}
