import Foundation
import HummingbirdTesting
import Testing
@testable import Web

/// Visitor input comes back escaped, never as markup.
@Suite struct EscapingTests {
    @Test(arguments: [
        "<script>alert(1)</script>@example.net",
        "\"><script>alert(1)</script>",
        "a@<script>alert(1)</script>.example",
        "x\"\u{301} autofocus onfocus=alert(1) y=\"@example.net",   // quote + combining mark
        "'><img src=x onerror=alert(1)>@alato.example",
    ])
    func inputIsEscapedOnTheCheckerPage(input: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            for path in ["/check", "/guides"] {
                let html = try await client.execute(uri: "\(path)?email=\(formEncode(input))&line=other", method: .get).text
                // Byte-wise: Swift's `contains` compares Characters, and a quote with a
                // combining mark is one Character, which is exactly what must not hide here.
                for forbidden in ["<script>alert", "<img", "\" autofocus", "\"\u{301} autofocus", "' autofocus"] {
                    #expect(!html.containsBytes(forbidden), "\(forbidden)")
                }
                // The value is echoed in the form, escaped.
                #expect(html.contains("value=\"\(MarkupText.escape(input.trimmingCharacters(in: .whitespaces)))\""))
            }
        }
    }

    @Test func scalarEscaperHandlesCombiningMarks() {
        #expect(MarkupText.escape("\"\u{301}<&>'") == "&quot;\u{301}&lt;&amp;&gt;&#39;")
        #expect(ScalarHTMLEscaping().escapeText("\"\u{301}<&>'\0") == "&quot;\u{301}&lt;&amp;&gt;&#39;")
    }

    @Test func markupEscaperEscapesEverything() {
        #expect(MarkupText.escape("<a href=\"x\">&'</a>\u{1}") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;")
        #expect(MarkupText.unescape("a&amp;b&lt;&#64;&#x41;&bogus;"[...]) == "a&b<@A&bogus;")
    }

    @Test func validLocalPartCharactersAreEscapedInTheResult() async throws {
        // `'`, `&`, `{` and `}` are allowed in a local part (RFC 5322 atext) and reach the page.
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=\(formEncode("o'neil&{x}@alato.example"))&line=other", method: .get).text
            #expect(html.contains("data-verdict=\"affected-use-our-submission\""))
            #expect(html.contains("o&#39;neil&amp;{x}@alato.example"))
            #expect(!html.contains("o'neil&{x}"))
        }
    }
}
