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

                let incoming = provider.all("incomingServer")
                #expect(incoming.count == 1)
                #expect(incoming.first?.attributes["type"] == "imap")
                #expect(incoming.first?.value("hostname") == "imap.alato.example")
                #expect(incoming.first?.value("port") == "993")
                #expect(incoming.first?.value("socketType") == "SSL")
                #expect(incoming.first?.value("authentication") == "password-cleartext")
                #expect(incoming.first?.value("username") == "%EMAILADDRESS%")

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

    @Test func withoutIncomingServerOnlyOutgoingIsDescribed() throws {
        let document = AutoconfigDocument(domain: "alato.example", settings: Fixture.settingsWithoutIncoming.mail,
                                          displayName: "x")
        let root = try #require(XMLElement.parse(document.render()))
        #expect(root.first("emailProvider")?.all("incomingServer").isEmpty == true)
        #expect(root.first("emailProvider")?.all("outgoingServer").count == 2)
    }

    @Test func serverNamesAreXMLEscaped() throws {
        let settings = MailSettings(
            submission: .init(host: "a<b>&\"c", port: 587, security: .startTLS),
            submissions: .init(host: "x", port: 465, security: .tls), incoming: nil)
        let root = try #require(XMLElement.parse(AutoconfigDocument(domain: "d&d", settings: settings, displayName: "<n>").render()))
        #expect(root.first("emailProvider")?.attributes["id"] == "d&d")
        #expect(root.first("emailProvider")?.first("outgoingServer")?.value("hostname") == "a<b>&\"c")
    }
}
