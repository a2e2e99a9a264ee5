import HummingbirdTesting
import Testing
@testable import Web

/// Line detection over a real loopback connection: the peer is 127.0.0.1,
/// a trusted proxy in the fixture, so X-Forwarded-For decides.
@Suite struct LineDetectionHTTPTests {
    static let forwardedFor = Responses.forwardedFor

    @Test(arguments: [
        ("203.0.113.50", "taro@alato.example", Verdict.notAffected),
        ("203.0.113.50", "someone@example.net", .affectedUseProviderSubmission),
        ("2001:db8:100::50", "shop@virtual.example", .notAffected),
        ("198.51.100.50", "taro@alato.example", .affectedUseOurSubmission),
        ("198.51.100.50", "someone@example.net", .notAffectedByThisISP),
        ("192.0.2.50", "shop@virtual.example", .affectedUseOurSubmission),   // ISP network without OP25B
    ])
    func detectsTheLineBehindATrustedProxy(client address: String, email: String, verdict: Verdict) async throws {
        let app = try Fixture.app()
        try await app.test(.live) { client in
            try await client.execute(uri: "/check?email=\(formEncode(email))", method: .get,
                                     headers: [Self.forwardedFor: address]) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("data-verdict=\"\(verdict.rawValue)\""))
                #expect(response.text.containsText(Catalog.text("detectionNote", .ja)))
            }
            try await client.execute(uri: "/api/v1/check?email=\(formEncode(email))", method: .get,
                                     headers: [Self.forwardedFor: address]) { response in
                #expect(response.text.contains("\"verdict\":\"\(verdict.rawValue)\""))
                #expect(response.text.contains("\"lineSource\":\"detected\""))
            }
        }
    }

    @Test func forwardedForIsIgnoredFromUntrustedPeers() async throws {
        var settings = Fixture.settings
        settings.trustedProxies = []
        let app = try Fixture.app(settings: settings)
        try await app.test(.live) { client in
            // The peer 127.0.0.1 is on no access network: another provider's line,
            // whatever the header claims.
            try await client.execute(uri: "/check?email=taro%40alato.example", method: .get,
                                     headers: [Self.forwardedFor: "203.0.113.50"]) { response in
                #expect(response.text.contains("data-verdict=\"affected-use-our-submission\""))
                #expect(response.text.contains("data-line=\"other\""))
            }
        }
    }

    @Test func overrideWinsOverDetection() async throws {
        let app = try Fixture.app()
        try await app.test(.live) { client in
            try await client.execute(uri: "/check?email=taro%40alato.example&line=other", method: .get,
                                     headers: [Self.forwardedFor: "203.0.113.50"]) { response in
                #expect(response.text.contains("data-verdict=\"affected-use-our-submission\""))
                #expect(response.text.containsText(Catalog.text("lineOtherChosen", .ja)))
            }
        }
    }
}
