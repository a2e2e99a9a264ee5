import HummingbirdTesting
import Testing
@testable import Web

@Suite struct GuidesTests {
    static let clients = ["thunderbird", "outlook", "apple", "android", "generic"]

    @Test(arguments: Language.allCases)
    func guidesForAnISPAddress(language: Language) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/guides?email=taro%40alato.example&lang=\(language.rawValue)", method: .get) { response in
                #expect(response.status == .ok)
                let html = response.text
                for id in Self.clients { #expect(html.contains("<section id=\"\(id)\"")) }
                #expect(html.containsText(Catalog.text("guidesIntroISP", language,
                                                      ["domain": "alato.example", "port": "587", "address": "taro@alato.example",
                                                       "inHost": "pop.alato.example", "inPort": "995"])))
                // Every client's steps name the incoming POP3 server, its ports and the user name.
                let incoming = ["inHost": "pop.alato.example", "inPort": "995", "inAltPort": "110",
                                "address": "taro@alato.example"]
                for key in ["tbIncoming", "olIncoming", "apIncoming", "anIncoming"] {
                    #expect(html.containsText(Catalog.text(key, language, incoming)))
                }
                #expect(html.containsText(Catalog.text("portTLS", language, ["port": "995"])))
                #expect(!html.containsText(Catalog.text("guidesVirtualDNS", language)))
                // Steps carry the configured values, never hard-coded names.
                #expect(html.containsText(Catalog.text("tb3", language, ["host": "smtp.alato.example", "port": "587"])))
                #expect(html.containsText(Catalog.text("ap3", language, ["host": "smtp.alato.example", "address": "taro@alato.example"])))
                #expect(html.containsText(Catalog.text("an3", language, ["address": "taro@alato.example"])))
                #expect(html.contains("/apple/mail.mobileconfig?email=taro%40alato.example"))
            }
        }
    }

    @Test func virtualDomainHasItsOwnWording() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/guides?email=shop%40virtual.example", method: .get).text
            #expect(html.containsText(Catalog.text("guidesIntroVirtual", .ja,
                                                  ["domain": "virtual.example", "port": "587", "address": "shop@virtual.example",
                                                   "inHost": "pop.alato.example", "inPort": "995"])))
            #expect(html.containsText(Catalog.text("guidesVirtualDNS", .ja)))
            #expect(html.containsText(Catalog.text("tbAutoVirtual", .ja)))
            #expect(!html.containsText(Catalog.text("tbAuto", .ja)))
        }
    }

    @Test func serverNamesComeFromTheConfiguration() async throws {
        var settings = Fixture.settings
        settings.mail.submission = .init(host: "submit.isp.example", port: 10587, security: .startTLS)
        settings.mail.submissions.host = "submit.isp.example"
        settings.mail.pop3s = .init(host: "fetch.isp.example", port: 10995, security: .tls)
        settings.mail.pop3.host = "fetch.isp.example"
        let app = try Fixture.app(settings: settings)
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/guides?email=taro%40alato.example&lang=en", method: .get).text
            #expect(html.contains("submit.isp.example"))
            #expect(html.contains("10587"))
            #expect(html.contains("fetch.isp.example"))
            #expect(html.contains("10995"))
            #expect(!html.contains("smtp.alato.example"))
            #expect(!html.contains("pop.alato.example"))
        }
    }

    @Test(arguments: [("isp", "guidesIntroGenericISP"), ("virtual", "guidesIntroGenericVirtual")])
    func genericGuidesWithoutAnAddress(kind: String, introKey: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/guides?kind=\(kind)", method: .get).text
            #expect(html.containsText(Catalog.text(introKey, .ja, ["port": "587", "inHost": "pop.alato.example", "inPort": "995"])))
            // The generic table has the incoming rows too.
            #expect(CheckerPageTests.settingsRows(html).map(\.0).contains("incoming-server"))
            #expect(html.containsText(Catalog.text("usernameValue", .ja, ["address": Catalog.text("yourAddress", .ja)])))
            for id in Self.clients { #expect(html.contains("<section id=\"\(id)\"")) }
        }
    }

    @Test func outsideAddressGetsNoGuides() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let html = try await client.execute(uri: "/guides?email=someone%40example.net", method: .get).text
            #expect(html.containsText(Catalog.text("guidesOutside", .ja, ["domain": "example.net"])))
            #expect(!html.contains("<section id=\"thunderbird\""))
        }
    }

    @Test func invalidAddressIs400WithMessage() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/guides?email=no-at-sign&lang=en", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.containsText(Catalog.text("error_missing_at_sign", .en)))
            }
        }
    }
}
