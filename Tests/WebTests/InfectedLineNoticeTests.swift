import Directory
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Policy
import Testing
@testable import Web

/// The infected-line notice over a real loopback connection (the fixture trusts 127.0.0.1,
/// so X-Forwarded-For is the visitor), with the counts in a real SQLite directory.
@Suite struct InfectedLineNoticeTests {
    static let forwardedFor = Responses.forwardedFor
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let infected = "203.0.113.66"
    static let infected6 = "2001:db8:100:7::1"

    /// An app whose attempt store holds 150 attempts to 20 destinations from ``infected`` and
    /// from the /64 of ``infected6``, and 5 attempts from 203.0.113.67.
    func withApp(_ body: (any ApplicationProtocol) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("infected-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteDirectory(path: folder.appendingPathComponent("directory.sqlite").path)
        var deltas: [OP25BAttemptTracker.Delta] = []
        for source in [Self.infected, "2001:db8:100:7::99"] {
            for index in 0..<20 {
                let destination = source.contains(":") ? "2001:db8:ff::\(index + 1)" : "198.51.100.\(index + 1)"
                deltas.append(.init(subscriber: OP25BSubscriber(address: try IPAddress(source)),
                                    destination: try IPAddress(destination), attempts: index < 10 ? 8 : 7))
            }
        }
        deltas.append(.init(subscriber: OP25BSubscriber(address: try IPAddress("203.0.113.67")),
                            destination: try IPAddress("198.51.100.1"), attempts: 5))
        try await store.recordAttempts(deltas, at: Self.now.addingTimeInterval(-300))

        let logger = Logger(label: "web-test")
        let web = try CustomerWeb(
            settings: Fixture.settings, policy: try Fixture.policy(), directory: Fixture.directory(), srvLookup: FakeSRV(),
            infection: OP25BInfectionLookup(store: store, rule: OP25BInfectionRule(), now: { Self.now }), logger: logger)
        try await body(buildWebApplication(web: web, logger: logger, port: 0))
    }

    @Test("a visit from a flagged line shows the notice in Japanese and English, with or without an address",
          arguments: [infected, infected6])
    func flaggedLine(visitor: String) async throws {
        try await withApp { app in
            try await app.test(.live) { client in
                for uri in ["/", "/check?email=taro%40alato.example", "/?lang=en"] {
                    try await client.execute(uri: uri, method: .get, headers: [Self.forwardedFor: visitor]) { response in
                        #expect(response.status == .ok)
                        let language: Language = uri.contains("lang=en") ? .en : .ja
                        #expect(response.text.contains("id=\"line-suspicious\""))
                        #expect(response.text.containsText(Catalog.text("infectedHeading", language)))
                        #expect(response.text.containsText(Catalog.text("infectedStepUpdate", language)))
                        #expect(response.text.containsText(Catalog.text("infectedStepPasswords", language)))
                        #expect(response.text.containsText(Catalog.text("infectedStepSupport", language)))
                        #expect(response.text.contains(visitor))
                        #expect(response.text.contains("150"))
                        #expect(response.text.contains("2027-01-15 07:55"))
                        // Nothing about any other address.
                        #expect(!response.text.contains("203.0.113.67"))
                        #expect(!response.text.contains("198.51.100.1"))
                    }
                }
            }
        }
    }

    @Test("the JSON answer has it under lineSuspicious, for the visitor's own line only")
    func api() async throws {
        try await withApp { app in
            try await app.test(.live) { client in
                try await client.execute(uri: "/api/v1/check?email=taro%40alato.example&line=other", method: .get,
                                         headers: [Self.forwardedFor: Self.infected]) { response in
                    let json = try #require(JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
                    let suspicious = try #require(json["lineSuspicious"] as? [String: Any])
                    #expect(suspicious["verdict"] as? String == "probably-infected")
                    #expect(suspicious["clientAddress"] as? String == Self.infected)
                    #expect(suspicious["attempts"] as? Int == 150)
                    #expect(suspicious["destinations"] as? Int == 20)
                    #expect(suspicious["firstSeen"] as? String == "2027-01-15T07:55:00Z")
                    #expect(suspicious["windowHours"] as? Int == 24)
                    #expect(json["line"] as? String == "other")
                }
                try await client.execute(uri: "/api/v1/check?email=taro%40alato.example", method: .get,
                                         headers: [Self.forwardedFor: "203.0.113.67"]) { response in
                    let json = try #require(JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
                    #expect(json["lineSuspicious"] == nil)
                }
            }
        }
    }

    @Test("unflagged lines see nothing new", arguments: ["203.0.113.67", "203.0.113.68", "198.51.100.50"])
    func unflagged(visitor: String) async throws {
        try await withApp { app in
            try await app.test(.live) { client in
                try await client.execute(uri: "/", method: .get, headers: [Self.forwardedFor: visitor]) { response in
                    #expect(!response.text.contains("line-suspicious"))
                    #expect(!response.text.containsText(Catalog.text("infectedHeading", .ja)))
                }
            }
        }
    }
}
