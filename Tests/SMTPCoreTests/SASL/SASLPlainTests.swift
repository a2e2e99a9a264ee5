import Testing
@testable import SMTPCore

@Suite struct SASLPlainTests {
    @Test func withoutAuthzid() throws {
        let decoded = try #require(SASLPlain.decode(bytes("\0user@alato.example\0secret")))
        #expect(decoded.authzid == "")
        #expect(decoded.authcid == "user@alato.example")
        #expect(decoded.password == Secret("secret"))
    }

    @Test func withAuthzid() throws {
        let decoded = try #require(SASLPlain.decode(bytes("admin\0user\0pass word")))
        #expect(decoded.authzid == "admin")
        #expect(decoded.authcid == "user")
        #expect(decoded.password.unredacted == "pass word")
    }

    @Test func utf8Password() throws {
        let decoded = try #require(SASLPlain.decode(bytes("\0user\0パスワード")))
        #expect(decoded.password.unredacted == "パスワード")
    }

    @Test(arguments: [
        "", "user", "\0user", "user\0pass", "\0\0pass", "\0user\0", "\0user\0pa\0ss", "a\0b\0c\0d",
    ])
    func malformed(text: String) {
        #expect(SASLPlain.decode(bytes(text)) == nil)
    }

    @Test func invalidUTF8IsRefused() {
        #expect(SASLPlain.decode([0, 0x75, 0, 0xFF]) == nil)
    }

    @Test func fieldLimit() {
        let long = String(repeating: "p", count: 256)
        #expect(SASLPlain.decode(bytes("\0user\0\(long)")) == nil)
        #expect(SASLPlain.decode(bytes("\0user\0\(long.dropLast())")) != nil)
    }

    @Test func encodeRoundTrips() throws {
        let message = SASLPlain.encode(authcid: "user", password: Secret("pw"))
        #expect(message == bytes("\0user\0pw"))
        let decoded = try #require(SASLPlain.decode(message))
        #expect(decoded.authcid == "user")
    }
}
