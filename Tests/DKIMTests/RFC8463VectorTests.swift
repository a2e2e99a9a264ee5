import DKIM
import Testing

/// RFC 8463 Appendix A: a message signed by someone else's implementation with
/// both algorithms, c=relaxed/relaxed, an oversigned h= (from, subject, date
/// listed twice) and the public keys of A.2. Verifying it checks this module's
/// canonicalization, header selection and `b=` removal against an outside
/// reference, so the round-trip tests below are not a closed loop.
@Suite("RFC 8463 Appendix A vectors")
struct RFC8463VectorTests {
    static let message = TestMessages.crlf([
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
        " subject : date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
        " date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
        "From: Joe SixPack <joe@football.example.com>",
        "To: Suzie Q <suzie@shopping.example.net>",
        "Subject: Is dinner ready?",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        "",
        "Joe.",
    ])

    /// RFC 8463 A.2 key records.
    static let records: [String: String] = [
        "brisbane._domainkey.football.example.com":
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        "test._domainkey.football.example.com":
            "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
            + "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
            + "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
            + "Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
    ]

    static let verifier = DKIMVerifier(keyLookup: { records[$0] })

    @Test("both published signatures verify")
    func bothVerify() {
        let results = Self.verifier.verify(message: Self.message)
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
    }

    @Test("an altered body fails both")
    func alteredBody() {
        var text = TestMessages.string(Self.message)
        text = text.replacingOccurrences(of: "We lost the game.", with: "We won the game.")
        let results = Self.verifier.verify(message: Array(text.utf8))
        #expect(results.map(\.status) == [.fail("body hash does not match"), .fail("body hash does not match")])
    }

    @Test("a second Subject added anywhere fails: oversigned h=")
    func addedSubject() {
        let text = TestMessages.string(Self.message)
            .replacingOccurrences(of: "Subject: Is dinner ready?\r\n",
                                  with: "Subject: Is dinner ready?\r\nSubject: Wire money now\r\n")
        let results = Self.verifier.verify(message: Array(text.utf8))
        #expect(results.allSatisfy { $0.status == .fail("signature does not verify") })
    }

    @Test("white space changes are tolerated by relaxed canonicalization")
    func refoldedHeader() {
        let text = TestMessages.string(Self.message)
            .replacingOccurrences(of: "Subject: Is dinner ready?", with: "subject:   Is dinner\r\n\tready?  ")
            .replacingOccurrences(of: "Hi.", with: "Hi.   ")
        let results = Self.verifier.verify(message: Array(text.utf8))
        #expect(results.map(\.status) == [.pass, .pass])
    }

    @Test("no key record is a permerror")
    func missingKey() {
        let verifier = DKIMVerifier(keyLookup: { _ in nil })
        let results = verifier.verify(message: Self.message)
        #expect(results.allSatisfy { if case .permerror = $0.status { true } else { false } })
    }
}
