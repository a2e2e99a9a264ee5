import DNS
import Foundation
import HummingbirdTesting
import Testing
@testable import Web

/// The checker page, in process, for every rule combination of the notice in both languages.
@Suite struct CheckerPageTests {
    struct Case: Sendable, CustomStringConvertible {
        var line: String
        var email: String
        var verdict: Verdict
        var description: String { "\(line) \(email)" }
    }

    static let cases: [Case] = [
        Case(line: "isp", email: "taro@alato.example", verdict: .notAffected),
        Case(line: "isp", email: "shop@virtual.example", verdict: .notAffected),
        Case(line: "isp", email: "someone@example.net", verdict: .affectedUseProviderSubmission),
        Case(line: "other", email: "taro@alato.example", verdict: .affectedUseOurSubmission),
        Case(line: "other", email: "shop@virtual.example", verdict: .affectedUseOurSubmission),
        Case(line: "other", email: "someone@example.net", verdict: .notAffectedByThisISP),
    ]

    static let srv = FakeSRV(records: [
        "_submission._tcp.example.net": [SRVRecord(priority: 0, weight: 1, port: 587, target: "smtp.example.net")],
        "_submissions._tcp.example.net": [SRVRecord(priority: 0, weight: 1, port: 465, target: "smtps.example.net.")],
    ])

    @Test(arguments: cases, Language.allCases)
    func answersTheNoticeCase(testCase: Case, language: Language) async throws {
        let app = try Fixture.app(srv: CheckerPageTests.srv)
        try await app.test(.router) { client in
            let uri = "/check?email=\(formEncode(testCase.email))&line=\(testCase.line)&lang=\(language.rawValue)"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = response.text
                #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
                #expect(html.contains("data-verdict=\"\(testCase.verdict.rawValue)\""))
                let headlineKey = testCase.verdict.isAffected ? "headlineAffected" : "headlineNotAffected"
                #expect(html.containsText(Catalog.text(headlineKey, language)))
                // Settings of this ISP only for hosted addresses: 587 STARTTLS, 465 SSL/TLS, full address as user name.
                let hostedSettings = testCase.verdict.showsOurSettings
                #expect(html.contains("smtp.alato.example") == hostedSettings)
                #expect(html.containsText(Catalog.text("portStartTLS", language, ["port": "587"])) == hostedSettings)
                #expect(html.containsText(Catalog.text("portTLS", language, ["port": "465"])) == hostedSettings)
                #expect(html.containsText(Catalog.text("usernameValue", language, ["address": testCase.email])) == hostedSettings)
                // The incoming server: POP3 on 995 (SSL/TLS), 110 (STARTTLS) if that does not work.
                #expect(html.contains("pop.alato.example") == hostedSettings)
                #expect(html.containsText(Catalog.text("portTLS", language, ["port": "995"])) == hostedSettings)
                #expect(html.containsText(Catalog.text("portStartTLS", language, ["port": "110"])) == hostedSettings)
                // The provider's RFC 6186 records only when the visitor must use them.
                let showsProvider = testCase.verdict == .affectedUseProviderSubmission
                #expect(html.contains("smtps.example.net") == showsProvider)
                #expect(html.containsText(Catalog.text("verdictProvider2", language, ["domain": "example.net"])) == showsProvider)
                #expect(html.containsText(Catalog.text("verdictOurs2", language)) == (testCase.verdict == .affectedUseOurSubmission))
                #expect(html.containsText(Catalog.text("verdictOther1", language)) == (testCase.verdict == .notAffectedByThisISP))
                let lineKey = testCase.line == "isp" ? "lineISPChosen" : "lineOtherChosen"
                #expect(html.containsText(Catalog.text(lineKey, language)))
                // Guides and profile links only for hosted addresses.
                #expect(html.contains("/guides?email=") == hostedSettings)
                #expect(html.contains("/apple/mail.mobileconfig?email=") == hostedSettings)
            }
        }
    }

    @Test func virtualAndISPDomainsAreWordedDifferently() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let isp = try await client.execute(uri: "/check?email=taro%40alato.example&line=other", method: .get).text
            let virtual = try await client.execute(uri: "/check?email=shop%40virtual.example&line=other", method: .get).text
            #expect(isp.containsText(Catalog.text("domainISP", .ja, ["domain": "alato.example"])))
            #expect(!isp.containsText(Catalog.text("verdictOursVirtual", .ja)))
            #expect(virtual.containsText(Catalog.text("domainVirtual", .ja, ["domain": "virtual.example"])))
            #expect(virtual.containsText(Catalog.text("verdictOursVirtual", .ja)))
        }
    }

    @Test func frontPageIsTheFormInJapanese() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.hasPrefix("<!DOCTYPE html>"))
                #expect(html.contains("<html lang=\"ja\">"))
                #expect(html.contains("<meta name=\"viewport\""))
                #expect(html.contains("<label for=\"email\">"))
                #expect(html.contains("<legend>"))
                #expect(html.contains("<h1>\(Catalog.text("checkerTitle", .ja))</h1>"))
                #expect(html.contains("<form method=\"get\" action=\"/check\">"))
                #expect(!html.contains("<script"))
                #expect(!html.contains("data-verdict"))
                #expect(!html.contains("role=\"alert\""))
                #expect(response.headers[.contentLanguage] == "ja")
            }
        }
    }

    @Test(arguments: [
        ("en-US,en;q=0.9", "en"),
        ("ja,en;q=0.5", "ja"),
        ("de-DE", "ja"),
    ])
    func acceptLanguageChoosesTheLanguage(header: String, expected: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/check?email=taro%40alato.example&line=isp", method: .get,
                                     headers: [.acceptLanguage: header]) { response in
                #expect(response.text.contains("<html lang=\"\(expected)\">"))
                #expect(response.headers[.contentLanguage] == expected)
            }
        }
    }

    @Test func explicitLanguageIsKeptInLinksAndForm() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=taro%40alato.example&line=other&lang=en", method: .get).text
            #expect(html.contains("<input type=\"hidden\" name=\"lang\" value=\"en\">"))
            #expect(html.contains("/guides?email=taro%40alato.example&amp;lang=en"))
            // The language switch leads to the same answer in Japanese.
            #expect(html.contains("href=\"/check?email=taro%40alato.example&amp;line=other&amp;lang=ja\""))
        }
    }

    @Test(arguments: [
        ("/check", AddressProblem.missing.code),
        ("/check?email=", AddressProblem.missing.code),
        ("/check?email=taro.alato.example", AddressProblem.noAtSign.code),
        ("/check?email=taro%40alato..example", AddressProblem.invalidDomain.code),
        ("/check?email=" + String(repeating: "a", count: 300) + "%40alato.example", AddressProblem.localPartTooLong.code),
        ("/check?email=taro%40alato.example&line=satellite", "invalid_line"),
    ])
    func badInputIsALocalizedMessage(uri: String, code: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            for language in Language.allCases {
                try await client.execute(uri: uri + (uri.contains("?") ? "&" : "?") + "lang=\(language.rawValue)",
                                         method: .get) { response in
                    #expect(response.status == .badRequest)
                    let html = response.text
                    #expect(html.contains("role=\"alert\""))
                    #expect(html.containsText(Catalog.text("error_\(code)", language)))
                    #expect(!html.contains("data-verdict"))
                }
            }
        }
    }

    @Test func idnAddressIsCheckedInPunycode() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let uri = "/check?email=\(formEncode("hanako@ドメイン名例.example"))&line=other"
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.contains("data-verdict=\"affected-use-our-submission\""))
                #expect(html.contains("hanako@xn--eckwd4c7cu47r2wf.example"))
                #expect(html.containsText(Catalog.text("idnNote", .ja, ["unicode": "ドメイン名例.example", "domain": "xn--eckwd4c7cu47r2wf.example"])))
            }
        }
    }

    @Test func fullWidthInputIsAccepted() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let uri = "/check?email=\(formEncode(" ｔａｒｏ＠ａｌａｔｏ．ｅｘａｍｐｌｅ "))&line=isp"
            let html = try await client.execute(uri: uri, method: .get).text
            #expect(html.contains("data-verdict=\"not-affected\""))
            #expect(html.contains("taro@alato.example"))
        }
    }

    @Test func providerLookupOutcomesAreShown() async throws {
        let none = try Fixture.app(srv: FakeSRV())
        try await none.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=a%40example.org&line=isp", method: .get).text
            #expect(html.containsText(Catalog.text("providerNone", .ja, ["domain": "example.org"])))
        }
        let failed = try Fixture.app(srv: FakeSRV(failing: true))
        try await failed.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=a%40example.org&line=isp&lang=en", method: .get).text
            #expect(html.contains("data-verdict=\"affected-use-provider-submission\""))
            #expect(html.containsText(Catalog.text("providerFailed", .en, ["domain": "example.org"])))
        }
        // RFC 6186 §4: a target of "." says the service is not offered.
        let dot = try Fixture.app(srv: FakeSRV(records: [
            "_submission._tcp.example.org": [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")],
        ]))
        try await dot.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=a%40example.org&line=isp", method: .get).text
            #expect(html.containsText(Catalog.text("providerNone", .ja, ["domain": "example.org"])))
        }
    }

    /// The table's rows as (id, label, value), unescaped.
    static func settingsRows(_ html: String) -> [(String, String, String)] {
        let pattern = #/<tr id="setting-([a-z-]+)"><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>/#
        return html.matches(of: pattern).map { match in
            (String(match.1), MarkupText.unescape(match.2), MarkupText.unescape(match.3))
        }
    }

    @Test(arguments: Language.allCases)
    func settingsTableNamesIncomingAndOutgoingServers(language: Language) async throws {
        let app = try Fixture.app(settings: Fixture.settingsWithIMAP)
        try await app.test(.router) { client in
            let html = try await client.execute(
                uri: "/check?email=taro%40alato.example&line=other&lang=\(language.rawValue)", method: .get).text
            let rows = Self.settingsRows(html)
            func t(_ key: String, _ values: [String: String] = [:]) -> String { Catalog.text(key, language, values) }
            let expected: [(String, String, String)] = [
                ("outgoing-server", t("rowOutgoingServer"), "smtp.alato.example"),
                ("outgoing-port", t("rowPort"), t("portStartTLS", ["port": "587"])),
                ("outgoing-alt-port", t("rowAltPort", ["port": "587"]), t("portTLS", ["port": "465"])),
                ("outgoing-auth", t("rowAuth"), t("authValue")),
                ("incoming-server", t("rowIncomingServer"), "pop.alato.example"),
                ("incoming-port", t("rowIncomingPort"), t("portTLS", ["port": "995"])),
                ("incoming-alt-port", t("rowAltPort", ["port": "995"]), t("portStartTLS", ["port": "110"])),
                ("imap-server", t("rowIMAPServer"), "imap.alato.example"),
                ("imap-port", t("rowIMAPPort"), t("portTLS", ["port": "993"])),
                ("username", t("rowUsername"), t("usernameValue", ["address": "taro@alato.example"])),
                ("password", t("rowPassword"), t("passwordValue")),
            ]
            #expect(rows.map(\.0) == expected.map(\.0))
            #expect(rows.map(\.1) == expected.map(\.1))
            #expect(rows.map(\.2) == expected.map(\.2))
            #expect(html.containsText(t("settingsHeading")))
        }
        // Without an IMAP server, no IMAP rows.
        let plain = try Fixture.app()
        try await plain.test(.router) { client in
            let html = try await client.execute(uri: "/check?email=taro%40alato.example&line=other", method: .get).text
            #expect(!Self.settingsRows(html).contains { $0.0.hasPrefix("imap") })
            #expect(Self.settingsRows(html).count == 9)
        }
    }

    @Test func directoryFailureIsTemporary() async throws {
        let app = try Fixture.app(directory: FakeDirectory(domains: [], failing: true))
        try await app.test(.router) { client in
            try await client.execute(uri: "/check?email=taro%40alato.example&line=isp", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.text.containsText(Catalog.text("error_unavailable", .ja)))
                #expect(!response.text.contains("disk on fire"))
            }
        }
    }

    @Test func onlyDomainsAreLookedUpNeverMailboxes() async throws {
        let directory = Fixture.directory()
        let app = try Fixture.app(directory: directory)
        try await app.test(.router) { client in
            _ = try await client.execute(uri: "/check?email=nobody%40alato.example&line=other", method: .get)
            _ = try await client.execute(uri: "/api/v1/check?email=nobody%40virtual.example&line=isp", method: .get)
        }
        #expect(!directory.calls.isEmpty)
        #expect(directory.calls.allSatisfy { $0.hasPrefix("isHostedDomain") || $0 == "listDomains" })
    }

    @Test func unknownPathIsALocalized404() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/no/such/page?lang=en", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text.containsText(Catalog.text("notFoundTitle", .en)))
            }
        }
    }

    @Test func securityHeadersForbidScripts() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                let csp = response.headers[Responses.contentSecurityPolicy] ?? ""
                #expect(csp.contains("default-src 'none'"))
                #expect(!csp.contains("script-src"))
                #expect(response.headers[Responses.contentTypeOptions] == "nosniff")
            }
        }
    }
}
