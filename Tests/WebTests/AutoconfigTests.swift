import Foundation
import HummingbirdTesting
import Testing
@testable import Web

/// Thunderbird autoconfig, parsed and checked field by field.
@Suite struct AutoconfigTests {
    @Test(arguments: [
        "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=taro%40alato.example",
        "/mail/config-v1.1.xml?emailaddress=taro%40alato.example",
        "/mail/config-v1.1.xml?emailaddress=shop%40virtual.example",
    ])
    func documentHasWhatThunderbirdNeeds(uri: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/xml") == true)
                let root = try #require(XMLElement.parse(response.text))
                #expect(root.name == "clientConfig")
                #expect(root.attributes["version"] == "1.1")
                let provider = try #require(root.first("emailProvider"))
                let domain = uri.contains("virtual") ? "virtual.example" : "alato.example"
                #expect(provider.attributes["id"] == domain)
                #expect(provider.value("domain") == domain)
                #expect(provider.value("displayName")?.isEmpty == false)

                // POP3 over implicit TLS first, POP3 with STLS second.
                let incoming = provider.all("incomingServer")
                #expect(incoming.map { $0.attributes["type"] } == ["pop3", "pop3"])
                #expect(incoming.map { $0.value("hostname") } == ["pop.alato.example", "pop.alato.example"])
                #expect(incoming.map { $0.value("port") } == ["995", "110"])
                #expect(incoming.map { $0.value("socketType") } == ["SSL", "STARTTLS"])
                #expect(incoming.allSatisfy { $0.value("authentication") == "password-cleartext" })
                #expect(incoming.allSatisfy { $0.value("username") == "%EMAILADDRESS%" })

                let outgoing = provider.all("outgoingServer")
                #expect(outgoing.map { $0.attributes["type"] } == ["smtp", "smtp"])
                #expect(outgoing.map { $0.value("hostname") } == ["smtp.alato.example", "smtp.alato.example"])
                #expect(outgoing.map { $0.value("port") } == ["587", "465"])
                #expect(outgoing.map { $0.value("socketType") } == ["STARTTLS", "SSL"])
                #expect(outgoing.allSatisfy { $0.value("authentication") == "password-cleartext" })
                #expect(outgoing.allSatisfy { $0.value("username") == "%EMAILADDRESS%" })
                #expect(!outgoing.contains { $0.value("port") == "25" })
            }
        }
    }

    @Test(arguments: [
        ("emailaddress=taro%40alato.example", "autoconfig.other.example", "alato.example"),
        ("", "autoconfig.virtual.example", "virtual.example"),
        ("", "AUTOCONFIG.Virtual.Example:443", "virtual.example"),
        ("", "autoconfig.ドメイン名例.example", "xn--eckwd4c7cu47r2wf.example"),
        ("", "www.virtual.example", nil),
        ("", nil, nil),
        ("emailaddress=broken", "autoconfig.virtual.example", nil),
    ] as [(String, String?, String?)])
    func domainFromAddressOrHost(query: String, authority: String?, expected: String?) {
        let result = WebSite.autoconfigDomain(query: FormQuery(query), authority: authority)
        #expect((try? result.get()) == expected)
    }

    @Test(arguments: [
        ("/mail/config-v1.1.xml?emailaddress=someone%40example.net", 404),
        ("/mail/config-v1.1.xml?emailaddress=nonsense", 400),
        ("/mail/config-v1.1.xml", 400),
    ])
    func onlyHostedDomains(uri: String, status: Int) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status.code == status)
                #expect(XMLElement.parse(response.text)?.name != "clientConfig")
            }
        }
    }

    @Test func anIMAPServerElsewhereComesAfterPOP3() async throws {
        let app = try Fixture.app(settings: Fixture.settingsWithIMAP)
        try await app.test(.router) { client in
            let text = try await client.execute(uri: "/mail/config-v1.1.xml?emailaddress=taro%40alato.example",
                                                method: .get).text
            let provider = try #require(XMLElement.parse(text)?.first("emailProvider"))
            let incoming = provider.all("incomingServer")
            #expect(incoming.map { $0.attributes["type"] } == ["pop3", "pop3", "imap"])
            #expect(incoming.last?.value("hostname") == "imap.alato.example")
            #expect(incoming.last?.value("port") == "993")
            #expect(incoming.last?.value("socketType") == "SSL")
            #expect(incoming.last?.value("username") == "%EMAILADDRESS%")
            #expect(provider.all("outgoingServer").count == 2)
        }
    }

    @Test func publicHostIsTheDisplayName() async throws {
        var settings = Fixture.settings
        settings.hostname = "mail.public.example"
        let app = try Fixture.app(settings: settings)
        try await app.test(.router) { client in
            let text = try await client.execute(uri: "/mail/config-v1.1.xml?emailaddress=taro%40alato.example",
                                                method: .get).text
            #expect(XMLElement.parse(text)?.first("emailProvider")?.value("displayName") == "mail.public.example")
        }
    }

    @Test func serverNamesAreXMLEscaped() throws {
        let settings = MailSettings(submissionHost: "a<b>&\"c", pop3Host: "p&q")
        let root = try #require(XMLElement.parse(AutoconfigDocument(domain: "d&d", settings: settings, displayName: "<n>").render()))
        #expect(root.first("emailProvider")?.attributes["id"] == "d&d")
        #expect(root.first("emailProvider")?.first("outgoingServer")?.value("hostname") == "a<b>&\"c")
        #expect(root.first("emailProvider")?.first("incomingServer")?.value("hostname") == "p&q")
    }
}
