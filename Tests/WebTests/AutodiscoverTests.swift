import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Web

/// Outlook POX autodiscover.
@Suite struct AutodiscoverTests {
    static func request(_ address: String, schema: String = AutodiscoverRequest.outlookResponseSchema) -> ByteBuffer {
        ByteBuffer(string: """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
              <Request>
                <EMailAddress>\(address)</EMailAddress>
                <AcceptableResponseSchema>\(schema)</AcceptableResponseSchema>
              </Request>
            </Autodiscover>
            """)
    }

    @Test(arguments: ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"])
    func settingsForAHostedAddress(path: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: path, method: .post, body: Self.request("taro@alato.example")) { response in
                #expect(response.status == .ok)
                let root = try #require(XMLElement.parse(response.text))
                #expect(root.name == "Autodiscover")
                let account = try #require(root.first("Response")?.first("Account"))
                #expect(account.value("AccountType") == "email")
                #expect(account.value("Action") == "settings")
                let protocols = account.all("Protocol")
                #expect(protocols.map { $0.value("Type") } == ["POP3", "POP3", "SMTP"])
                let pop3 = Array(protocols.prefix(2))
                #expect(pop3.map { $0.value("Server") } == ["pop.alato.example", "pop.alato.example"])
                #expect(pop3.map { $0.value("Port") } == ["995", "110"])
                #expect(pop3.map { $0.value("Encryption") } == ["SSL", "TLS"])
                #expect(pop3.allSatisfy { $0.value("LoginName") == "taro@alato.example" })
                #expect(pop3.allSatisfy { $0.value("SPA") == "off" && $0.value("AuthRequired") == "on" })
                let smtp = protocols[2]
                #expect(smtp.value("Server") == "smtp.alato.example")
                #expect(smtp.value("Port") == "587")
                #expect(smtp.value("Encryption") == "TLS")
                #expect(smtp.value("SSL") == "on")
                #expect(smtp.value("AuthRequired") == "on")
                #expect(smtp.value("LoginName") == "taro@alato.example")
                #expect(smtp.value("SPA") == "off")
            }
        }
    }

    @Test func anIMAPServerElsewhereIsListedAfterPOP3() async throws {
        let app = try Fixture.app(settings: Fixture.settingsWithIMAP)
        try await app.test(.router) { client in
            let text = try await client.execute(uri: "/autodiscover/autodiscover.xml", method: .post,
                                                body: Self.request("shop@virtual.example")).text
            let protocols = try #require(XMLElement.parse(text)?.first("Response")?.first("Account")).all("Protocol")
            #expect(protocols.map { $0.value("Type") } == ["POP3", "POP3", "IMAP", "SMTP"])
            #expect(protocols[2].value("Server") == "imap.alato.example")
            #expect(protocols[2].value("Port") == "993")
            #expect(protocols[2].value("Encryption") == "SSL")
            #expect(protocols[2].value("LoginName") == "shop@virtual.example")
        }
    }

    @Test func entitiesInTheRequestAreDecoded() {
        let request = AutodiscoverRequest(body: "<a:Request><a:EMailAddress> o&apos;neil&#64;alato.example </a:EMailAddress></a:Request>")
        #expect(request.emailAddress == "o'neil@alato.example")
        #expect(AutodiscoverRequest(body: "<Request></Request>").emailAddress == nil)
        #expect(AutodiscoverRequest(body: "<EMailAddress>unterminated").emailAddress == nil)
    }

    @Test func notHostedIsAnErrorDocument() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/autodiscover/autodiscover.xml", method: .post,
                                     body: Self.request("someone@example.net")) { response in
                #expect(response.status == .notFound)
                let error = try #require(XMLElement.parse(response.text)?.first("Response")?.first("Error"))
                #expect(error.value("ErrorCode") == "600")
            }
        }
    }

    @Test(arguments: ["", "<Autodiscover/>", "not xml at all", "<EMailAddress>&lt;script&gt;</EMailAddress>"])
    func badRequestsAreErrorDocuments(body: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: "/autodiscover/autodiscover.xml", method: .post,
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                #expect(XMLElement.parse(response.text)?.first("Response")?.first("Error")?.value("ErrorCode") == "600")
            }
        }
    }

    @Test func otherSchemasAreRefused() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/autodiscover/autodiscover.xml", method: .post,
                body: Self.request("taro@alato.example",
                                   schema: "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006")
            ) { response in
                #expect(XMLElement.parse(response.text)?.first("Response")?.first("Error")?.value("ErrorCode") == "601")
            }
        }
    }

    @Test func oversizedBodyIsRefused() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let body = ByteBuffer(string: String(repeating: "x", count: AutodiscoverRequest.maximumBodySize + 1))
            try await client.execute(uri: "/autodiscover/autodiscover.xml", method: .post, body: body) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
    }
}
