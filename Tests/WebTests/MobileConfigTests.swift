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
                #expect(mail["EmailAccountType"] as? String == "EmailTypeIMAP")
                #expect(mail["IncomingMailServerHostName"] as? String == "imap.alato.example")
                #expect(mail["IncomingMailServerPortNumber"] as? Int == 993)
                #expect(mail["IncomingMailServerUsername"] as? String == address)
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

    @Test func noProfileWithoutAnIncomingServer() async throws {
        let app = try Fixture.app(settings: Fixture.settingsWithoutIncoming)
        try await app.test(.router) { client in
            try await client.execute(uri: "/apple/mail.mobileconfig?email=taro%40alato.example&lang=en", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text.containsText(Catalog.text("profileUnavailable", .en)))
            }
            // and the checker offers no profile link then
            let html = try await client.execute(uri: "/check?email=taro%40alato.example&line=isp", method: .get).text
            #expect(!html.contains("mobileconfig"))
        }
    }
}
