import Foundation
import HummingbirdTesting
import Testing
@testable import Web

/// The Apple configuration profile, parsed with Foundation's property-list reader.
@Suite struct MobileConfigTests {
    @Test(arguments: ["taro@alato.example", "shop@virtual.example"])
    func profileForAHostedAddress(address: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/apple/mail.mobileconfig?email=\(formEncode(address))", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/x-apple-aspen-config")
                let domain = address.split(separator: "@")[1]
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"\(domain).mobileconfig\"")
                let plist = try PropertyListSerialization.propertyList(from: Data(response.text.utf8), format: nil)
                let profile = try #require(plist as? [String: Any])
                #expect(profile["PayloadType"] as? String == "Configuration")
                #expect(profile["PayloadVersion"] as? Int == 1)
                #expect((profile["PayloadIdentifier"] as? String)?.isEmpty == false)
                #expect(UUID(uuidString: profile["PayloadUUID"] as? String ?? "") != nil)
                let payloads = try #require(profile["PayloadContent"] as? [[String: Any]])
                #expect(payloads.count == 1)
                let mail = payloads[0]
                #expect(mail["PayloadType"] as? String == "com.apple.mail.managed")
                #expect(UUID(uuidString: mail["PayloadUUID"] as? String ?? "") != nil)
                #expect(mail["EmailAddress"] as? String == address)
                #expect(mail["EmailAccountType"] as? String == "EmailTypePOP")
                #expect(mail["IncomingMailServerHostName"] as? String == "pop.alato.example")
                #expect(mail["IncomingMailServerPortNumber"] as? Int == 995)
                #expect(mail["IncomingMailServerUseSSL"] as? Bool == true)
                #expect(mail["IncomingMailServerAuthentication"] as? String == "EmailAuthPassword")
                #expect(mail["IncomingMailServerUsername"] as? String == address)
                #expect(mail["OutgoingPasswordSameAsIncomingPassword"] as? Bool == true)
                #expect(mail["OutgoingMailServerHostName"] as? String == "smtp.alato.example")
                #expect(mail["OutgoingMailServerPortNumber"] as? Int == 587)
                #expect(mail["OutgoingMailServerUseSSL"] as? Bool == true)
                #expect(mail["OutgoingMailServerAuthentication"] as? String == "EmailAuthPassword")
                #expect(mail["OutgoingMailServerUsername"] as? String == address)
            }
        }
    }

    @Test(arguments: [
        ("/apple/mail.mobileconfig?email=someone%40example.net", 404, "profileNotHosted"),
        ("/apple/mail.mobileconfig?email=nonsense", 400, "error_missing_at_sign"),
        ("/apple/mail.mobileconfig", 400, "error_missing_email"),
    ])
    func refusals(uri: String, status: Int, key: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { response in
                #expect(response.status.code == status)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.text.containsText(Catalog.text(key, .ja, ["domain": "example.net"])))
            }
        }
    }

    @Test func oneAccountEvenWithAnIMAPServer() async throws {
        var settings = Fixture.settingsWithIMAP
        settings.hostname = "mail.public.example"
        let app = try Fixture.app(settings: settings)
        try await app.test(.router) { client in
            let text = try await client.execute(uri: "/apple/mail.mobileconfig?email=taro%40alato.example", method: .get).text
            let plist = try PropertyListSerialization.propertyList(from: Data(text.utf8), format: nil)
            let profile = try #require(plist as? [String: Any])
            // The organisation is the host customers are told ([web] public_host).
            #expect(profile["PayloadOrganization"] as? String == "mail.public.example")
            #expect((profile["PayloadIdentifier"] as? String)?.hasPrefix("example.public.mail.mail.") == true)
            let payloads = try #require(profile["PayloadContent"] as? [[String: Any]])
            #expect(payloads.count == 1)
            #expect(payloads.first?["EmailAccountType"] as? String == "EmailTypePOP")
        }
    }

    @Test func checkerAndGuidesLinkTheProfile() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let link = "/apple/mail.mobileconfig?email=taro%40alato.example"
            let checker = try await client.execute(uri: "/check?email=taro%40alato.example&line=isp", method: .get).text
            #expect(checker.contains("href=\"\(link)\""))
            let guides = try await client.execute(uri: "/guides?email=taro%40alato.example", method: .get).text
            // In the Apple section, between its heading and the next section.
            let apple = try #require(guides.range(of: "<section id=\"apple\""))
            let end = try #require(guides.range(of: "</section>", range: apple.upperBound..<guides.endIndex))
            #expect(guides[apple.upperBound..<end.lowerBound].contains("href=\"\(link)\""))
        }
    }
}
