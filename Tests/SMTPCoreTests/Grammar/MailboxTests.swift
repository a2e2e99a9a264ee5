import Testing
@testable import SMTPCore

@Suite struct MailboxTests {
    @Test(arguments: [
        ("user", false, "user@alato.example"),
        ("first.last", false, "first.last@alato.example"),
        ("a b", true, "\"a b\"@alato.example"),
        ("user@example.net", true, "\"user@example.net\"@alato.example"),
        ("say\"hi\"", true, "\"say\\\"hi\\\"\"@alato.example"),
        ("back\\slash", true, "\"back\\\\slash\"@alato.example"),
        (".leading", true, "\".leading\"@alato.example"),
        ("trailing.", true, "\"trailing.\"@alato.example"),
        ("double..dot", true, "\"double..dot\"@alato.example"),
        ("", true, "\"\"@alato.example"),
        ("user%example.net", false, "user%example.net@alato.example"),
        ("ユーザー", false, "ユーザー@alato.example"),
    ])
    func quoting(localPart: String, needsQuoting: Bool, written: String) {
        let mailbox = Mailbox(localPart: localPart, domain: .name("alato.example"))
        #expect(mailbox.localPartNeedsQuoting == needsQuoting)
        #expect(mailbox.string == written)
    }

    @Test(arguments: ["user@alato.example", "\"a b\"@alato.example", "\"say\\\"hi\\\"\"@x.example",
                      "u@[198.51.100.7]", "ユーザー@例え.example"])
    func writtenFormParsesBack(text: String) throws {
        let mailbox = try #require(Mailbox(parsing: text))
        #expect(Mailbox(parsing: mailbox.string) == mailbox)
        #expect(mailbox.string == text)
    }

    /// Found by the FuzzMailbox target: a backslash (or quote) followed by a combining mark
    /// (U+0739) is one Character, and was written back unescaped, so the address did not
    /// parse back to itself.
    @Test(arguments: ["\"!\\\\\u{0739}\\\\0\"@m\u{FFFD}", "\"a\\\"\u{0301}b\"@alato.example"])
    func escapesBeforeCombiningMarksSurviveARoundTrip(text: String) throws {
        let mailbox = try #require(Mailbox(parsing: text))
        #expect(Mailbox(parsing: mailbox.string) == mailbox)
    }

    @Test func needsSMTPUTF8() {
        #expect(!Mailbox(localPart: "user", domain: .name("alato.example")).needsSMTPUTF8)
        #expect(Mailbox(localPart: "ユーザー", domain: .name("alato.example")).needsSMTPUTF8)
        #expect(Mailbox(localPart: "user", domain: .name("例え.example")).needsSMTPUTF8)
    }

    @Test func domainNormalisationLowercasesButKeepsTrailingDot() {
        #expect(MailDomain.name("Example.NET.").normalized == "example.net.")
        #expect(MailDomain.name("Example.NET.").hasTrailingDot)
        #expect(!MailDomain.name("example.net").hasTrailingDot)
        #expect(MailDomain.addressLiteral("[IPv6:2001:DB8::1]").normalized == "[ipv6:2001:db8::1]")
    }

    @Test func literalAddress() {
        #expect(MailDomain.addressLiteral("[198.51.100.7]").literalAddress == "198.51.100.7")
        #expect(MailDomain.addressLiteral("[IPv6:2001:db8::1]").literalAddress == "2001:db8::1")
        #expect(MailDomain.name("alato.example").literalAddress == nil)
    }

    @Test func pathDescriptions() {
        let mailbox = Mailbox(localPart: "a b", domain: .name("x.example"))
        #expect(ReversePath.null.description == "<>")
        #expect(ReversePath.mailbox(mailbox).description == "<\"a b\"@x.example>")
        #expect(ForwardPath.postmaster.description == "<Postmaster>")
        #expect(ForwardPath.postmaster.mailbox == nil)
    }
}
