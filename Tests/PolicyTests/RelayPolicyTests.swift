import Testing
@testable import Policy

@Suite("Relay policy of the port-25 service")
struct RelayPolicyTests {
    static let hosted: Set<String> = ["alato.example", "virtual.example"]

    func decide(_ client: String, _ local: String, _ domain: String) throws -> RelayDecision {
        RelayPolicy.decide(client: Fixtures.ip(client), recipientLocalPart: local, recipientDomain: domain,
                           isHostedDomain: { Self.hosted.contains($0) }, policy: try Fixtures.policy())
    }

    @Test("Outsiders reach hosted domains only (inbound MX)", arguments: [
        ("user", "alato.example", RelayDecision.local),
        ("user", "ALATO.Example", .local),
        ("User.Name+tag", "virtual.example", .local),
        ("user", "example.net", .denied),
        ("user", "alato.example.", .denied),          // trailing dot: not the hosted name
        ("user", "[198.51.100.7]", .denied),          // address literal: never hosted
        ("user", "[IPv6:2001:db8::25]", .denied),
        ("user", "", .denied),
        ("user", "sub.alato.example", .denied),
        ("user", "\u{212A}ALATO.example", .denied),   // KELVIN SIGN must not fold to "k"
    ])
    func outsider(local: String, domain: String, expected: RelayDecision) throws {
        #expect(try decide("198.51.100.9", local, domain) == expected)
        #expect(try decide("2001:db8:200::9", local, domain) == expected)
    }

    @Test("Subscribers may relay anywhere, from blocked and unblocked lines", arguments: [
        "203.0.113.9", "2001:db8:100::9", "192.0.2.9", "2001:db8:300::9", "::ffff:203.0.113.9",
    ])
    func subscriber(client: String) throws {
        #expect(try decide(client, "user", "example.net") == .relay)
        #expect(try decide(client, "user", "[198.51.100.7]") == .relay)
        #expect(try decide(client, "user", "Alato.Example") == .local)
    }

    @Test("Open-relay tricks to a hosted domain are refused for outsiders, in mixed case", arguments: [
        "user%example.net",                 // percent hack
        "USER%Example.NET",
        "\"user@example.net\"",             // quoted @
        "\"User@Example.Net\"",
        "example.net!user",                 // bang path
        "Example.NET!User",
        "user\\@example.net",               // escaped @
        "a%b!c",
    ])
    func tricks(local: String) throws {
        for domain in ["alato.example", "ALATO.EXAMPLE", "Virtual.Example"] {
            #expect(try decide("198.51.100.9", local, domain) == .denied, "\(local)@\(domain)")
            #expect(try decide("::ffff:198.51.100.9", local, domain) == .denied, "\(local)@\(domain)")
            #expect(try decide("2001:db8:200::9", local, domain) == .denied, "\(local)@\(domain)")
        }
    }

    @Test("A source route is stripped by the parser: what is left is an ordinary foreign recipient")
    func sourceRoute() throws {
        // <@alato.example:user@example.net> arrives as user@example.net.
        #expect(try decide("198.51.100.9", "user", "example.net") == .denied)
    }

    @Test("The hosted-domain lookup sees lowercase ASCII and is not asked for literals or dotted names")
    func lookupKey() throws {
        var asked: [String] = []
        for domain in ["Alato.EXAMPLE", "[198.51.100.7]", "alato.example.", "ünïcode.example"] {
            _ = RelayPolicy.decide(client: Fixtures.ip("198.51.100.9"), recipientLocalPart: "u", recipientDomain: domain,
                                   isHostedDomain: { asked.append($0); return false }, policy: try Fixtures.policy())
        }
        #expect(asked == ["alato.example"])
        #expect(RelayPolicy.hostedDomainKey("Virtual.EXAMPLE") == "virtual.example")
        #expect(RelayPolicy.hostedDomainKey("[IPv6:2001:db8::1]") == nil)
        #expect(RelayPolicy.hostedDomainKey("virtual.example.") == nil)
        #expect(RelayPolicy.hostedDomainKey("") == nil)
    }
}
