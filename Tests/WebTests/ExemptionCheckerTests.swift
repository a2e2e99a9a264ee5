import Directory
import Foundation
import HummingbirdTesting
import Testing
@testable import Web

/// OP25B exemptions in the checker, over a real loopback connection: the peer is
/// 127.0.0.1, a trusted proxy in the fixture, so X-Forwarded-For is the visitor.
@Suite struct ExemptionCheckerTests {
    static let forwardedFor = Responses.forwardedFor
    static let day: TimeInterval = 86_400

    static func exemption(_ prefix: String, until: Date?) -> OP25BExemption {
        OP25BExemption(prefix: prefix, reason: "ticket 4711, Alato Shoten", created: Date().addingTimeInterval(-day),
                       until: until)
    }

    @Test(arguments: Language.allCases)
    func anExemptVisitorIsToldTheyAreNotBlocked(language: Language) async throws {
        let directory = Fixture.directory(exemptions: [Self.exemption("203.0.113.48/28", until: nil)])
        let app = try Fixture.app(directory: directory, srv: CheckerPageTests.srv)
        try await app.test(.live) { client in
            for email in ["someone@example.net", "taro@alato.example"] {
                let html = try await client.execute(uri: "/check?email=\(formEncode(email))&lang=\(language.rawValue)",
                                                    method: .get, headers: [Self.forwardedFor: "203.0.113.50"]).text
                #expect(html.contains("data-verdict=\"not-affected-exempt\""))
                #expect(html.containsText(Catalog.text("headlineNotAffected", language)))
                #expect(html.containsText(Catalog.text("verdictExempt", language, ["client": "203.0.113.50"])))
                #expect(html.containsText(Catalog.text("lineISPExempt", language)))
                // The operator's reason stays internal.
                #expect(!html.contains("4711"))
                let hosted = email.hasSuffix("alato.example")
                #expect(html.containsText(Catalog.text("verdictExemptOutside", language, ["domain": "example.net"])) == !hosted)
                #expect(html.contains("pop.alato.example") == hosted)
                // No provider lookup: port 25 to the provider works.
                #expect(!html.contains("smtps.example.net"))
            }
        }
    }

    @Test func theAPISaysWhichExemptionAndUntilWhen() async throws {
        let until = Date(timeIntervalSince1970: 4_102_444_799)  // 2099-12-31T23:59:59Z
        let directory = Fixture.directory(exemptions: [Self.exemption("2001:db8:100:1::/64", until: until)])
        let app = try Fixture.app(directory: directory)
        try await app.test(.live) { client in
            let response = try await client.execute(uri: "/api/v1/check?email=someone%40example.net&lang=en", method: .get,
                                                    headers: [Self.forwardedFor: "2001:db8:100:1::25"])
            let json = try #require(JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
            #expect(json["verdict"] as? String == "not-affected-exempt")
            #expect(json["affected"] as? Bool == false)
            let exemption = try #require(json["exemption"] as? [String: Any])
            #expect(exemption["clientAddress"] as? String == "2001:db8:100:1::25")
            #expect(exemption["prefix"] as? String == "2001:db8:100:1::/64")
            #expect(exemption["until"] as? String == "2099-12-31T23:59:59Z")
            #expect((json["message"] as? String)?.contains(Catalog.text("verdictExemptUntil", .en, [
                "client": "2001:db8:100:1::25", "until": "2099-12-31T23:59:59Z"])) == true)
        }
    }

    @Test func exemptionsApplyAsSoonAsTheyAreStoredAndOnlyWhileActive() async throws {
        let directory = Fixture.directory(exemptions: [
            Self.exemption("203.0.113.80/28", until: Date().addingTimeInterval(-60)),  // expired
            Self.exemption("198.51.100.0/28", until: nil),  // outside every access network: ignored
        ])
        let app = try Fixture.app(directory: directory, srv: CheckerPageTests.srv)
        try await app.test(.live) { client in
            func verdict(_ address: String) async throws -> String? {
                let html = try await client.execute(uri: "/check?email=someone%40example.net", method: .get,
                                                    headers: [Self.forwardedFor: address]).text
                return html.firstMatch(of: #/data-verdict="([a-z-]+)"/#).map { String($0.1) }
            }
            #expect(try await verdict("203.0.113.81") == "affected-use-provider-submission")
            #expect(try await verdict("203.0.113.20") == "affected-use-provider-submission")
            // `portcullis op25b exempt add` while the server runs.
            _ = try await directory.addExemption(prefix: "203.0.113.20/32", reason: "ticket 5", until: nil)
            #expect(try await verdict("203.0.113.20") == "not-affected-exempt")
            #expect(try await verdict("203.0.113.21") == "affected-use-provider-submission")
            // Elsewhere, exemptions are not read: another provider's line is not this ISP's to release.
            #expect(try await verdict("198.51.100.5") == "not-affected-by-this-isp")
        }
    }

    @Test func aChosenLineIsNotJudgedByThePagesAddress() async throws {
        let directory = Fixture.directory(exemptions: [Self.exemption("203.0.113.48/28", until: nil)])
        let app = try Fixture.app(directory: directory, srv: CheckerPageTests.srv)
        try await app.test(.live) { client in
            let html = try await client.execute(uri: "/check?email=someone%40example.net&line=isp", method: .get,
                                                headers: [Self.forwardedFor: "203.0.113.50"]).text
            #expect(html.contains("data-verdict=\"affected-use-provider-submission\""))
        }
        #expect(!directory.calls.contains("listExemptions"))
    }
}
