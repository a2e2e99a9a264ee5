import Testing
@testable import SMTPCore

@Suite struct SASLResponseTests {
    @Test func starCancels() {
        #expect(SASLResponse.parse(bytes("*")) == .success(.cancel))
    }

    @Test func base64Decodes() {
        #expect(SASLResponse.parse(bytes("dXNlcg==")) == .success(.data(bytes("user"))))
        #expect(SASLResponse.parse(bytes("")) == .success(.data([])))
    }

    @Test(arguments: ["**", "* ", "not base64!", "dXNlcg", "dXNl cg=="])
    func invalid(line: String) {
        #expect(SASLResponse.parse(bytes(line)) == .failure(.authInvalidResponse))
    }

    @Test func initialResponse() {
        #expect(SASLResponse.parseInitialResponse("=") == .success([]))
        #expect(SASLResponse.parseInitialResponse("dXNlcg==") == .success(bytes("user")))
        #expect(SASLResponse.parseInitialResponse("*") == .failure(.authInvalidResponse))
    }
}
