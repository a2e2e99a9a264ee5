import Testing
@testable import Web

/// RFC 3492 §7.1 sample strings, plus common IDN examples.
@Suite struct PunycodeTests {
    @Test(arguments: [
        ("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}",
         "egbpdaj6bu4bxfgehfvwxn"),                                  // (A) Arabic (Egyptian)
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),              // (B) Chinese (simplified)
        ("他們爲什麽不說中文", "ihqwctvzc91f659drss3x8bo0yb"),           // (C) Chinese (traditional)
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),                  // (L)
        ("安室奈美恵-with-SUPER-MONKEYS", "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"), // (M)
        ("ひとつ屋根の下2", "2-u9tlzr9756bt3uc0v"),                      // (O)
        ("パフィーdeルンバ", "de-jg4avhby1noc0d"),                       // (Q)
        ("そのスピードで", "d9juau41awczczp"),                           // (R)
        ("-> $1.00 <-", "-> $1.00 <--"),                                 // (S) all basic
        ("ドメイン名例", "eckwd4c7cu47r2wf"),
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
    ])
    func encodesSample(input: String, expected: String) {
        #expect(Punycode.encode(Array(input.unicodeScalars)) == expected)
    }

    @Test func encodesEmptyInput() {
        #expect(Punycode.encode([]) == "")
    }

    @Test func longInputDoesNotOverflowOrCrash() {
        // Far beyond a DNS label; the encoder must either finish or report overflow.
        let scalars = Array(String(repeating: "\u{10FFFF}\u{80}", count: 2000).unicodeScalars)
        _ = Punycode.encode(scalars)
    }
}
