import Foundation
import Testing
@testable import Web

@Suite struct FormQueryTests {
    @Test(arguments: [
        ("email=taro%40alato.example", "email", "taro@alato.example"),
        ("email=a%2Bb%40x.example", "email", "a+b@x.example"),          // a typed + arrives as %2B
        ("email=+taro%40x.example+", "email", " taro@x.example "),       // a typed space arrives as +
        ("email=%E3%83%89%E3%83%A1", "email", "ドメ"),
        ("email=%zz%4", "email", "%zz%4"),                               // invalid escapes stay as written
        ("email=%FF", "email", "\u{FFFD}"),                              // invalid UTF-8
        ("a=1&email=first&email=second", "email", "first"),
        ("email", "email", ""),
        ("email=a=b", "email", "a=b"),
    ])
    func decodes(query: String, name: String, value: String) {
        #expect(FormQuery(query)[name] == value)
    }

    @Test func missingParameterIsNil() {
        #expect(FormQuery("a=1")["email"] == nil)
        #expect(FormQuery(nil)["email"] == nil)
    }

    @Test func encodeRoundTrips() {
        let value = "o'neil+tag&x=y@ドメイン名例.example"
        #expect(FormQuery("v=" + FormQuery.encode(value))["v"] == value)
    }

    @Test func onlyTheFirstParametersAreRead() {
        let query = (0..<100).map { "p\($0)=x" }.joined(separator: "&") + "&email=late"
        #expect(FormQuery(query)["email"] == nil)
        #expect(FormQuery(query)["p0"] == "x")
    }
}
