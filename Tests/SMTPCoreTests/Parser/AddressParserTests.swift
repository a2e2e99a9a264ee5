import Testing
@testable import SMTPCore

@Suite struct AddressParserTests {
    /// Parses `<path>` the way RCPT TO does.
    private func forwardPath(_ text: String) -> Result<ForwardPath, AddressError> {
        var cursor = ByteCursor(bytes(text))
        do {
            let path = try AddressParser.parseForwardPath(&cursor)
            guard cursor.isAtEnd else { return .failure(.syntax) }
            return .success(path)
        } catch {
            return .failure(error)
        }
    }

    private func reversePath(_ text: String) -> Result<ReversePath, AddressError> {
        var cursor = ByteCursor(bytes(text))
        do {
            let path = try AddressParser.parseReversePath(&cursor)
            guard cursor.isAtEnd else { return .failure(.syntax) }
            return .success(path)
        } catch {
            return .failure(error)
        }
    }

    /// The classic open-relay probes: each must parse to exactly what it says, so the
    /// relay policy judges it by the real domain.
    @Test(arguments: [
        ("<user%example.net@alato.example>", "user%example.net", MailDomain.name("alato.example")),
        ("<\"user@example.net\"@alato.example>", "user@example.net", .name("alato.example")),
        ("<@alato.example:user@example.net>", "user", .name("example.net")),
        ("<@alato.example,@mx.alato.example:user@example.net>", "user", .name("example.net")),
        ("<example.net!user@alato.example>", "example.net!user", .name("alato.example")),
        ("<user@example.net.>", "user", .name("example.net.")),
        ("<user@[198.51.100.7]>", "user", .addressLiteral("[198.51.100.7]")),
        ("<user@[IPv6:2001:db8::7]>", "user", .addressLiteral("[IPv6:2001:db8::7]")),
        ("<\"user%example.net\"@alato.example>", "user%example.net", .name("alato.example")),
        ("<user@Example.NET>", "user", .name("Example.NET")),
    ])
    func relayTricks(text: String, localPart: String, domain: MailDomain) throws {
        let path = try #require(forwardPath(text).value)
        let mailbox = try #require(path.mailbox)
        #expect(mailbox.localPart == localPart)
        #expect(mailbox.domain == domain)
    }

    @Test(arguments: [
        ("<user@alato.example>", "user", "alato.example"),
        ("<first.last@sub.alato.example>", "first.last", "sub.alato.example"),
        ("<a+tag@alato.example>", "a+tag", "alato.example"),
        ("<\"a b\"@alato.example>", "a b", "alato.example"),
        ("<\"a\\\"b\"@alato.example>", "a\"b", "alato.example"),
        ("<\"a\\\\b\"@alato.example>", "a\\b", "alato.example"),
        ("<\"\"@alato.example>", "", "alato.example"),
        ("<\"joe\"@alato.example>", "joe", "alato.example"),
        ("<!#$%&'*+-/=?^_`{|}~@alato.example>", "!#$%&'*+-/=?^_`{|}~", "alato.example"),
        ("<ユーザー@alato.example>", "ユーザー", "alato.example"),
        ("<user@例え.example>", "user", "例え.example"),
        ("<\"ユー ザー\"@alato.example>", "ユー ザー", "alato.example"),
        ("<u@1.2.3.example>", "u", "1.2.3.example"),
        ("<u@x-y.example>", "u", "x-y.example"),
        ("<u@localhost>", "u", "localhost"),
    ])
    func validMailboxes(text: String, localPart: String, domain: String) throws {
        let mailbox = try #require(forwardPath(text).value?.mailbox)
        #expect(mailbox.localPart == localPart)
        #expect(mailbox.domain.text == domain)
    }

    @Test(arguments: ["<Postmaster>", "<postmaster>", "<POSTMASTER>", "<PostMaster>"])
    func barePostmaster(text: String) {
        #expect(forwardPath(text).value == .postmaster)
    }

    @Test func postmasterWithDomainIsAMailbox() {
        let path = forwardPath("<Postmaster@alato.example>").value
        #expect(path == .mailbox(Mailbox(localPart: "Postmaster", domain: .name("alato.example"))))
    }

    @Test func nullReversePath() {
        #expect(reversePath("<>").value == .null)
        #expect(forwardPath("<>").error == .syntax)
    }

    @Test(arguments: [
        "user@alato.example",           // no brackets
        "<user@alato.example",          // unterminated
        "<user>",                       // no domain
        "<@alato.example>",             // no local part
        "<user@>",                      // empty domain
        "<user@@alato.example>",
        "<us er@alato.example>",
        "<.user@alato.example>",
        "<user.@alato.example>",
        "<us..er@alato.example>",
        "<\"unterminated@alato.example>",
        "<\"a\rb\"@alato.example>",
        "<user@alato..example>",
        "<user@.alato.example>",
        "<user@-alato.example>",
        "<user@alato-.example>",
        "<user@alato.example..>",
        "<user@alato_x.example>",
        "<user@[198.51.100]>",
        "<user@[198.51.100.256]>",
        "<user@[1.2.3.4.5]>",
        "<user@[IPv6:2001:db8::1::2]>",
        "<user@[IPv6:12345::1]>",
        "<user@[IPv6:1:2:3:4:5:6:7]>",
        "<user@[IPv6:1:2:3:4:5:6:7:8:9]>",
        "<user@[x-tag:whatever]>",
        "<user@[]>",
        "<@alato.example user@example.net>", // route without colon
        "<@:user@example.net>",
        "<user@alato.example> ",
        "<user@alato.example>>",
        "<user(comment)@alato.example>",
        "<user@alato.example(comment)>",
    ])
    func invalidPaths(text: String) {
        #expect(forwardPath(text).error != nil)
    }

    @Test func localPartLimitIs64Octets() {
        let ok = String(repeating: "a", count: 64)
        let long = String(repeating: "a", count: 65)
        #expect(forwardPath("<\(ok)@alato.example>").value != nil)
        #expect(forwardPath("<\(long)@alato.example>").error == .localPartTooLong)
        // Measured on the wire form: quotes count.
        let quoted = "\"" + String(repeating: "a", count: 63) + "\""
        #expect(forwardPath("<\(quoted)@alato.example>").error == .localPartTooLong)
    }

    @Test func domainLimitIs255Octets() {
        let label = String(repeating: "d", count: 63)
        // 4 labels of 63 + 3 dots = 255.
        let ok = [label, label, label, label].joined(separator: ".")
        #expect(ok.utf8.count == 255)
        #expect(AddressParser.parseMailbox(bytes("u@\(ok)")).value != nil)
        // In a path, 255 + "<u@>" is over the 256-octet path limit.
        #expect(forwardPath("<u@\(ok)>").error == .pathTooLong)
        let long = ok + ".x"
        #expect(AddressParser.parseMailbox(bytes("u@\(long)")).error == .domainTooLong)
        #expect(forwardPath("<u@\(long)>").error == .domainTooLong)
    }

    @Test func labelLimitIs63Octets() {
        #expect(forwardPath("<u@\(String(repeating: "d", count: 63)).example>").value != nil)
        #expect(forwardPath("<u@\(String(repeating: "d", count: 64)).example>").error == .syntax)
    }

    @Test func pathLimitIs256Octets() {
        // A 64-octet local part and a domain sized so the whole path is 256, then 257.
        let local = String(repeating: "l", count: 64)
        func domain(length: Int) -> String {
            var labels: [String] = []
            var remaining = length
            while remaining > 0 {
                let size = min(63, remaining)
                labels.append(String(repeating: "d", count: size))
                remaining -= size + 1
            }
            let text = labels.joined(separator: ".")
            return String(text.prefix(length))
        }
        let fits = domain(length: 256 - 2 - 64 - 1)
        #expect(("<" + local + "@" + fits + ">").utf8.count == 256)
        #expect(forwardPath("<\(local)@\(fits)>").value != nil)
        let over = domain(length: 256 - 2 - 64)
        #expect(forwardPath("<\(local)@\(over)>").error == .pathTooLong)
    }

    @Test func mailboxParsingEntryPoint() {
        #expect(Mailbox(parsing: "user@alato.example") == Mailbox(localPart: "user", domain: .name("alato.example")))
        #expect(Mailbox(parsing: "user@alato.example ") == nil)
        #expect(Mailbox(parsing: "<user@alato.example>") == nil)
        #expect(Mailbox(parsing: "") == nil)
    }
}
