import Foundation
import Testing
@testable import Policy

@Suite("OP25B decisions")
struct OP25BDecisionTests {
    enum Source: String, CaseIterable {
        case subscriber, exempt, expiredExempt, businessLine, outsider
    }
    enum Destination: String, CaseIterable {
        case mailHost, outside
    }

    /// Addresses per family for each role, from the fixture policy.
    static func address(_ source: Source, v6: Bool) -> IPAddress {
        switch (source, v6) {
        case (.subscriber, false): Fixtures.ip("203.0.113.9")
        case (.subscriber, true): Fixtures.ip("2001:db8:100::9")
        case (.exempt, false): Fixtures.ip("203.0.113.70")
        case (.exempt, true): Fixtures.ip("2001:db8:100:1::9")
        case (.expiredExempt, false): Fixtures.ip("203.0.113.85")
        case (.expiredExempt, true): Fixtures.ip("2001:db8:100:2::9")
        case (.businessLine, false): Fixtures.ip("192.0.2.9")
        case (.businessLine, true): Fixtures.ip("2001:db8:300::9")
        case (.outsider, false): Fixtures.ip("198.51.100.9")
        case (.outsider, true): Fixtures.ip("2001:db8:200::9")
        }
    }

    static func address(_ destination: Destination, v6: Bool) -> IPAddress {
        switch (destination, v6) {
        case (.mailHost, false): Fixtures.ip("198.51.100.25")
        case (.mailHost, true): Fixtures.ip("2001:db8:200::25")
        case (.outside, false): Fixtures.ip("198.51.100.77")
        case (.outside, true): Fixtures.ip("2001:db8:200::77")
        }
    }

    /// The notice's rule, stated per role: only port 25, only from a blocked
    /// line, only to a non-mail-host, only without an active exemption.
    static func expectedReason(_ source: Source, _ destination: Destination, port: Int) -> String {
        if port != 25 { return "portNotBlocked" }
        switch source {
        case .outsider: return "sourceNotSubscriber"
        case .businessLine: return "networkNotBlocked"
        default: break
        }
        if destination == .mailHost { return "destinationIsMailHost" }
        if source == .exempt { return "exempted" }
        return "blocked"
    }

    static func name(_ reason: OP25BDecision.Reason) -> String {
        switch reason {
        case .sourceNotSubscriber: "sourceNotSubscriber"
        case .networkNotBlocked: "networkNotBlocked"
        case .portNotBlocked: "portNotBlocked"
        case .destinationIsMailHost: "destinationIsMailHost"
        case .exempted: "exempted"
        case .blocked: "blocked"
        }
    }

    @Test("Decision table: source × destination × port × family",
          arguments: Source.allCases, [false, true])
    func table(source: Source, v6: Bool) throws {
        let policy = try Fixtures.policy()
        for destination in Destination.allCases {
            for port in [25, 587, 465] {
                let decision = policy.decide(source: Self.address(source, v6: v6),
                                             destination: Self.address(destination, v6: v6),
                                             port: port, now: Fixtures.now)
                let expected = Self.expectedReason(source, destination, port: port)
                #expect(Self.name(decision.reason) == expected,
                        "\(source) -> \(destination):\(port) v6=\(v6): \(decision.explanation)")
                #expect(decision.verdict == (expected == "blocked" ? .blocked : .allowed))
            }
        }
    }

    @Test("Reasons carry the deciding network, mail host and exemption")
    func associatedValues() throws {
        let policy = try Fixtures.policy()
        let blocked = policy.decide(source: Fixtures.ip("203.0.113.9"), destination: Fixtures.ip("198.51.100.77"), port: 25, now: Fixtures.now)
        #expect(blocked.reason == .blocked("alato-express"))
        let host = policy.decide(source: Fixtures.ip("2001:db8:100::9"), destination: Fixtures.ip("2001:db8:200::25"), port: 25, now: Fixtures.now)
        #expect(host.reason == .destinationIsMailHost(try IPPrefix("2001:db8:200::25/128")))
        let exempt = policy.decide(source: Fixtures.ip("203.0.113.70"), destination: Fixtures.ip("198.51.100.77"), port: 25, now: Fixtures.now)
        #expect(exempt.reason == .exempted(Fixtures.exemptions[0]))
        let business = policy.decide(source: Fixtures.ip("192.0.2.9"), destination: Fixtures.ip("198.51.100.77"), port: 25, now: Fixtures.now)
        #expect(business.reason == .networkNotBlocked("alato-biz"))
        let submission = policy.decide(source: Fixtures.ip("203.0.113.9"), destination: Fixtures.ip("198.51.100.77"), port: 587, now: Fixtures.now)
        #expect(submission.reason == .portNotBlocked(587))
    }

    @Test("An exemption applies up to and including its expiry instant, not after")
    func expiryEdge() throws {
        let until = Fixtures.now + 2
        let policy = try OP25BPolicy(accessNetworks: Fixtures.networks, mailHosts: Fixtures.mailHosts, exemptions: [
            Fixtures.exemption("203.0.113.9/32", "short", until: until),
        ])
        func verdict(_ now: Date) -> OP25BDecision.Verdict {
            policy.decide(source: Fixtures.ip("203.0.113.9"), destination: Fixtures.ip("198.51.100.77"), port: 25, now: now).verdict
        }
        #expect(verdict(Fixtures.now) == .allowed)
        #expect(verdict(until) == .allowed)
        #expect(verdict(until + 0.001) == .blocked)
    }

    @Test("Nested exemptions: the most specific active one is reported, expired ones are skipped")
    func nestedExemptions() throws {
        let outer = Fixtures.exemption("203.0.113.64/28", "outer", until: nil)
        let innerExpired = Fixtures.exemption("203.0.113.70/32", "inner expired", until: Fixtures.now - 1)
        let policy = try OP25BPolicy(accessNetworks: Fixtures.networks, mailHosts: [], exemptions: [outer, innerExpired])
        let decision = policy.decide(source: Fixtures.ip("203.0.113.70"), destination: Fixtures.ip("198.51.100.77"), port: 25, now: Fixtures.now)
        #expect(decision.reason == .exempted(outer))
    }

    @Test("A v4-mapped source from a dual-stack socket is judged as IPv4")
    func mappedSource() throws {
        let policy = try Fixtures.policy()
        let decision = policy.decide(source: Fixtures.ip("::ffff:203.0.113.9"), destination: Fixtures.ip("::ffff:198.51.100.77"), port: 25, now: Fixtures.now)
        #expect(decision.verdict == .blocked)
        #expect(decision.source.description == "203.0.113.9")
        let toMailHost = policy.decide(source: Fixtures.ip("::ffff:203.0.113.9"), destination: Fixtures.ip("::ffff:198.51.100.25"), port: 25, now: Fixtures.now)
        #expect(toMailHost.verdict == .allowed)
    }

    @Test("Explanations name what decided")
    func explanations() throws {
        let policy = try Fixtures.policy()
        func explain(_ s: String, _ d: String, _ port: Int = 25) -> String {
            policy.decide(source: Fixtures.ip(s), destination: Fixtures.ip(d), port: port, now: Fixtures.now).explanation
        }
        let blocked = explain("203.0.113.9", "198.51.100.77")
        #expect(blocked.hasPrefix("blocked: 203.0.113.9 -> 198.51.100.77 port 25"))
        #expect(blocked.contains("\"alato-express\""))
        #expect(blocked.split(separator: "\n").count == 2)
        #expect(explain("203.0.113.9", "198.51.100.25").contains("ISP mail host (198.51.100.25/32)"))
        let exempt = explain("2001:db8:100:1::9", "2001:db8:200::77")
        #expect(exempt.contains("exemption 2001:db8:100:1::/64 until 2025-08-30T00:00:00Z"))
        #expect(exempt.contains("business S plan, ticket 77"))
        #expect(explain("198.51.100.9", "198.51.100.77").contains("not on any of the ISP's access networks"))
        #expect(explain("192.0.2.9", "198.51.100.77").contains("\"alato-biz\", which has OP25B turned off"))
        #expect(explain("203.0.113.9", "198.51.100.77", 587).contains("port 587 is not blocked"))
        for text in [blocked, exempt] {
            #expect(text.split(separator: "\n").count <= 2)
        }
    }
}
