import Testing
@testable import SMTPCore

@Suite struct HeaderScannerTests {
    @Test func findsTheFieldsAndStopsAtTheBody() {
        let message = "From: User <user@alato.example>\r\nDate: Sat, 30 Nov 2024 01:19:00 +0900\r\n"
            + "Message-ID: <x@y>\r\nSubject: hi\r\n\r\nFrom: body@example.net\r\n"
        let summary = HeaderScanner.scan(bytes(message))
        #expect(summary.hasFrom && summary.hasDate && summary.hasMessageID)
        #expect(summary.fromAddresses == ["user@alato.example"])
        #expect(summary.isComplete)
        #expect(summary.headerLength == message.utf8.count - "From: body@example.net\r\n".utf8.count)
    }

    @Test func missingFields() {
        let summary = HeaderSummary(scanning: bytes("Subject: x\r\n\r\nbody"))
        #expect(!summary.hasFrom && !summary.hasDate && !summary.hasMessageID)
        #expect(summary.fromAddresses.isEmpty)
        #expect(!summary.fromParseFailed)
    }

    @Test func fieldNamesAreCaseInsensitive() {
        let summary = HeaderScanner.scan(bytes("FROM: a@x.example\r\nmessage-id: <1@x>\r\nDATE : Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n"))
        #expect(summary.hasFrom && summary.hasMessageID && summary.hasDate)
    }

    @Test func foldedFromIsUnfolded() {
        let summary = HeaderScanner.scan(bytes("From: \"Doe, John\"\r\n <john@alato.example>,\r\n\tjane@alato.example\r\n\r\n"))
        #expect(summary.fromAddresses == ["john@alato.example", "jane@alato.example"])
    }

    @Test func incompleteHeaderIsReported() {
        let summary = HeaderScanner.scan(bytes("From: a@x.example\r\nSubj"))
        #expect(!summary.isComplete)
        #expect(summary.fromAddresses == ["a@x.example"])
    }

    @Test func bareLFLineEndingsFromBDAT() {
        let summary = HeaderScanner.scan(bytes("From: a@x.example\nDate: x\n\nbody"))
        #expect(summary.isComplete && summary.hasDate)
        #expect(summary.fromAddresses == ["a@x.example"])
    }

    @Test func multipleFromFieldsAreCounted() {
        let summary = HeaderScanner.scan(bytes("From: a@x.example\r\nFrom: b@y.example\r\n\r\n"))
        #expect(summary.fromFieldCount == 2)
        #expect(summary.fromAddresses == ["a@x.example", "b@y.example"])
    }

    @Test func unparseableFromFailsClosed() {
        let summary = HeaderScanner.scan(bytes("From: a@x.example\r\nFrom: <unterminated@x.example\r\n\r\n"))
        #expect(summary.fromParseFailed)
        #expect(summary.fromAddresses.isEmpty)
        #expect(summary.hasFrom)
    }

    /// RFC 5322 §3.4 forms, with display names, comments, quoted strings and groups.
    @Test(arguments: [
        ("user@alato.example", ["user@alato.example"]),
        ("<user@alato.example>", ["user@alato.example"]),
        ("User Name <user@alato.example>", ["user@alato.example"]),
        ("\"Name, With Comma\" <user@alato.example>", ["user@alato.example"]),
        ("\"<evil@example.net>\" <user@alato.example>", ["user@alato.example"]),
        ("user@alato.example (Real Name)", ["user@alato.example"]),
        ("(comment (nested)) user @ alato.example", ["user@alato.example"]),
        ("=?UTF-8?B?5bGx55Sw?= <user@alato.example>", ["user@alato.example"]),
        ("山田 <user@alato.example>", ["user@alato.example"]),
        ("\"john.q\"@alato.example", ["john.q@alato.example"]),
        ("\"a b\"@alato.example", ["\"a b\"@alato.example"]),
        ("a@alato.example, B <b@alato.example>", ["a@alato.example", "b@alato.example"]),
        ("Team: a@alato.example, b@alato.example;", ["a@alato.example", "b@alato.example"]),
        ("undisclosed-recipients:;", []),
        ("Team: a@alato.example;, c@alato.example", ["a@alato.example", "c@alato.example"]),
        ("<@relay.example:user@alato.example>", ["user@alato.example"]),
        ("user@[198.51.100.7]", ["user@[198.51.100.7]"]),
        ("J. Doe <j@alato.example>", ["j@alato.example"]),
        ("ユーザー@例え.example", ["ユーザー@例え.example"]),
    ])
    func fromForms(value: String, expected: [String]) throws {
        let summary = HeaderScanner.scan(bytes("From: \(value)\r\n\r\n"))
        #expect(!summary.fromParseFailed)
        #expect(summary.fromAddresses == expected)
    }

    @Test(arguments: [
        "user", "user@", "@alato.example", "<user@alato.example", "user@alato.example>",
        "a@b.example c@d.example", "\"unterminated <a@b.example>", "(unterminated a@b.example",
        "Team: a@b.example", "a@b.example;", "<a@b.example> trailing", "a@@b.example", "a..b@c.example",
        "a@b..example", "Name <>",
    ])
    func invalidFrom(value: String) {
        let summary = HeaderScanner.scan(bytes("From: \(value)\r\n\r\n"))
        #expect(summary.fromParseFailed)
        #expect(summary.fromAddresses.isEmpty)
    }
}
