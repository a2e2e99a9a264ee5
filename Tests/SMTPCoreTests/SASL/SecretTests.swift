import Testing
@testable import SMTPCore

@Suite struct SecretTests {
    @Test func redactedEverywhere() {
        let secret = Secret("hunter2")
        #expect(secret.description == "<redacted>")
        #expect(String(describing: secret) == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect(!dumped.contains("104"))   // "h" as a byte value
    }

    @Test func actionDescriptionsDoNotLeakPasswords() {
        let action = SessionAction.verifyCredentials(mechanism: "PLAIN", authzid: nil, username: "u", password: Secret("hunter2"))
        #expect(!String(describing: action).contains("hunter2"))
        #expect(!String(reflecting: action).contains("hunter2"))
    }

    @Test func equality() {
        #expect(Secret("a") == Secret("a"))
        #expect(Secret("a") != Secret("b"))
        #expect(Secret("a") != Secret("ab"))
        #expect(Secret("pw").bytes == bytes("pw"))
    }
}
