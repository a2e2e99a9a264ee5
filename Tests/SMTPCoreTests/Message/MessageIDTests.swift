import Testing
@testable import SMTPCore

@Suite struct MessageIDTests {
    @Test(arguments: [
        ("4F2A9C.1a2b", "mail.alato.example", "<4F2A9C.1a2b@mail.alato.example>"),
        ("a b<c>", "mail.alato.example", "<a-b-c-@mail.alato.example>"),
        ("..x..y..", "host", "<x.y@host>"),
        ("", "", "<unknown@unknown>"),
        ("id", "bad host(name)", "<id@bad-host-name->"),
    ])
    func make(token: String, hostname: String, expected: String) {
        #expect(MessageID.make(uniqueToken: token, hostname: hostname) == expected)
        #expect(MessageID.make(hostname: hostname, token: token) == expected)
    }

    @Test func resultIsAnAddrSpecInAngles() throws {
        let id = MessageID.make(uniqueToken: "q\"u(o)t,e;d", hostname: "ho st")
        // Parsing it as an RFC 5322 address proves it is dot-atom@dot-atom.
        let parsed = try #require(AddressListParser.parse(bytes(id)))
        #expect(parsed.count == 1)
        #expect(MessageID.field(uniqueToken: "x", hostname: "h") == "Message-ID: <x@h>\r\n")
    }
}
