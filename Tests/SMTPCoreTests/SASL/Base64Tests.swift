import Testing
@testable import SMTPCore

@Suite struct Base64Tests {
    /// RFC 4648 §10 test vectors.
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(plain) == encoded)
        #expect(Base64.decode(encoded) == bytes(plain))
    }

    @Test func loginPrompts() {
        // The LOGIN mechanism's fixed prompts are base64 of "Username:" and "Password:".
        #expect(Base64.encode("Username:") == Reply.authUsernamePrompt.lines[0])
        #expect(Base64.encode("Password:") == Reply.authPasswordPrompt.lines[0])
    }

    @Test func allByteValuesRoundTrip() {
        let all = (0...255).map(UInt8.init)
        for length in 0...all.count {
            let slice = Array(all.prefix(length))
            #expect(Base64.decode(Base64.encode(slice)) == slice)
        }
    }

    @Test(arguments: [
        "Zg", "Zg=", "Z===", "====", "Zm9v\r\n", "Zm 9v", "Zm9v=", "Zg==Zg==", "Z=g=", "Zh==", "Zm9=",
        "Zm-v", "Zm_v", "Zm9vYmFy====",
    ])
    func rejectsNonCanonical(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
