import Foundation
import HummingbirdTesting
import Testing
@testable import Web

@Suite struct CheckAPITests {
    func decode(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any])
    }

    @Test(arguments: CheckerPageTests.cases)
    func answersAsJSON(testCase: CheckerPageTests.Case) async throws {
        let app = try Fixture.app(srv: CheckerPageTests.srv)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/check?email=\(formEncode(testCase.email))&line=\(testCase.line)",
                                     method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let json = try decode(response)
                #expect(json["verdict"] as? String == testCase.verdict.rawValue)
                #expect(json["affected"] as? Bool == testCase.verdict.isAffected)
                #expect(json["line"] as? String == testCase.line)
                #expect(json["lineSource"] as? String == "chosen")
                #expect(json["email"] as? String == testCase.email)
                #expect(json["lang"] as? String == "ja")
                #expect((json["message"] as? String)?.isEmpty == false)
                if testCase.verdict.showsOurSettings {
                    let settings = try #require(json["settings"] as? [String: Any])
                    let submission = try #require(settings["submission"] as? [String: Any])
                    #expect(submission["host"] as? String == "smtp.alato.example")
                    #expect(submission["port"] as? Int == 587)
                    #expect(submission["security"] as? String == "STARTTLS")
                    let submissions = try #require(settings["submissions"] as? [String: Any])
                    #expect(submissions["port"] as? Int == 465)
                    #expect(submissions["security"] as? String == "SSL/TLS")
                    let pop3s = try #require(settings["pop3s"] as? [String: Any])
                    #expect(pop3s["host"] as? String == "pop.alato.example")
                    #expect(pop3s["port"] as? Int == 995)
                    #expect(pop3s["security"] as? String == "SSL/TLS")
                    let pop3 = try #require(settings["pop3"] as? [String: Any])
                    #expect(pop3["port"] as? Int == 110)
                    #expect(pop3["security"] as? String == "STARTTLS")
                    #expect(settings["imap"] == nil)
                    #expect(json["username"] as? String == testCase.email)
                } else {
                    #expect(json["settings"] == nil)
                    #expect(json["username"] == nil)
                }
                if testCase.verdict == .affectedUseProviderSubmission {
                    let provider = try #require(json["providerSubmission"] as? [String: Any])
                    #expect(provider["status"] as? String == "found")
                    let servers = try #require(provider["servers"] as? [[String: Any]])
                    #expect(servers.map { $0["host"] as? String } == ["smtp.example.net", "smtps.example.net"])
                    #expect(servers.map { $0["port"] as? Int } == [587, 465])
                } else {
                    #expect(json["providerSubmission"] == nil)
                }
            }
        }
    }

    @Test func withoutLineTheClientAddressDecides() async throws {
        // In process there is no peer address: another provider's line.
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let json = try decode(try await client.execute(uri: "/api/v1/check?email=taro%40alato.example", method: .get))
            #expect(json["line"] as? String == "other")
            #expect(json["lineSource"] as? String == "detected")
        }
    }

    @Test func messageFollowsTheLanguage() async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            let en = try decode(try await client.execute(uri: "/api/v1/check?email=a%40example.net&line=other&lang=en", method: .get))
            #expect((en["message"] as? String)?.hasPrefix(Catalog.text("headlineNotAffected", .en)) == true)
            let ja = try decode(try await client.execute(uri: "/api/v1/check?email=a%40example.net&line=other",
                                                         method: .get, headers: [.acceptLanguage: "ja"]))
            #expect((ja["message"] as? String)?.hasPrefix(Catalog.text("headlineNotAffected", .ja)) == true)
        }
    }

    @Test(arguments: [
        ("/api/v1/check", "missing_email"),
        ("/api/v1/check?email=", "missing_email"),
        ("/api/v1/check?email=nobody", "missing_at_sign"),
        ("/api/v1/check?email=a%40b..c", "invalid_domain"),
        ("/api/v1/check?email=a%40b%40c", "invalid_local_part"),
        ("/api/v1/check?email=a%40%5B192.0.2.1%5D", "address_literal"),
        ("/api/v1/check?email=a%40alato.example&line=maybe", "invalid_line"),
        ("/api/v1/check?email=" + String(repeating: "x", count: 2000), "address_too_long"),
    ])
    func badInputIs400WithAJSONError(uri: String, code: String) async throws {
        let app = try Fixture.app()
        try await app.test(.router) { client in
            try await client.execute(uri: uri + (uri.contains("?") ? "&" : "?") + "lang=en", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let json = try decode(response)
                let error = try #require(json["error"] as? [String: Any])
                #expect(error["code"] as? String == code)
                #expect(error["message"] as? String == Catalog.text("error_\(code)", .en))
            }
        }
    }

    @Test func directoryFailureIs503() async throws {
        let app = try Fixture.app(directory: FakeDirectory(domains: [], failing: true))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/check?email=a%40alato.example&line=isp", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let error = try #require(try decode(response)["error"] as? [String: Any])
                #expect(error["code"] as? String == "unavailable")
            }
        }
    }

    @Test func slowDNSDoesNotHoldTheAnswer() async throws {
        // A lookup that never answers in time: the page says it could not check.
        let result = await ProviderSubmission.lookUp(
            domain: "example.org", using: FakeSRV(delay: .seconds(30)), timeout: .milliseconds(200))
        #expect(result.status == .failed)
    }
}
