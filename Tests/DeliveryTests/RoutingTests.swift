import DNS
import SMTPCore
import TestSupport
import Testing
@testable import Delivery

@Suite("Routing table")
struct RoutingTableTests {
    let table = try! RoutingTable(routes: ["example.net": "127.0.0.1:2626", "Example.ORG": "relay.example.org",
                                           "*": "smarthost.example:587", "v6.example": "[2001:db8::25]:2525"],
                                  smtpPort: 2525)

    @Test("Hosted wins, then the exact route, then the smarthost", arguments: [
        ("alato.example", true, Route.local),
        ("example.net", false, .relay(host: "127.0.0.1", port: 2626)),
        ("EXAMPLE.net", false, .relay(host: "127.0.0.1", port: 2626)),
        ("example.org", false, .relay(host: "relay.example.org", port: 25)),
        ("v6.example", false, .relay(host: "2001:db8::25", port: 2525)),
        ("elsewhere.example", false, .relay(host: "smarthost.example", port: 587)),
    ])
    func order(domain: String, hosted: Bool, expected: Route) {
        #expect(table.route(for: domain, isHosted: hosted) == expected)
    }

    @Test("Without routes, MX on smtp_port")
    func mxDefault() throws {
        let plain = try RoutingTable(routes: [:], smtpPort: 2525)
        #expect(plain.route(for: "Example.NET", isHosted: false) == .mx(domain: "example.net", port: 2525))
    }

    @Test("A bad route value is an error naming it")
    func invalid() {
        #expect(throws: RoutingTable.InvalidRoute.self) { try RoutingTable(routes: ["x": "host:port"], smtpPort: 25) }
        #expect(throws: RoutingTable.InvalidRoute.self) { try RoutingTable(routes: ["x": ""], smtpPort: 25) }
    }
}

@Suite("MX planning (RFC 5321 §5.1, RFC 7505)")
struct MailExchangerPlannerTests {
    @Test("Hosts by preference")
    func preference() async {
        var resolver = FakeResolver()
        resolver.mxRecords["example.net"] = .success([MXRecord(preference: 20, exchange: "b.example.net"),
                                                      MXRecord(preference: 10, exchange: "a.example.net")])
        let plan = await MailExchangerPlanner(resolver: resolver).plan(.mx(domain: "example.net", port: 25))
        #expect(plan == .hosts([.init(name: "a.example.net", port: 25, isAddress: false),
                                .init(name: "b.example.net", port: 25, isAddress: false)]))
    }

    @Test("Equal preferences come in random order, lower preference always first")
    func shuffle() {
        let records = [MXRecord(preference: 10, exchange: "a"), MXRecord(preference: 10, exchange: "b"),
                       MXRecord(preference: 10, exchange: "c"), MXRecord(preference: 5, exchange: "first"),
                       MXRecord(preference: 30, exchange: "last")]
        var seen = Set<[String]>()
        for seed in 0..<50 {
            var generator = SplitMix64(seed: UInt64(seed))
            let order = MailExchangerPlanner.order(records, using: &generator).map(\.exchange)
            #expect(order.first == "first")
            #expect(order.last == "last")
            #expect(Set(order[1...3]) == ["a", "b", "c"])
            seen.insert(Array(order[1...3]))
        }
        #expect(seen.count > 1, "equal-preference hosts were never reordered")
    }

    @Test("No MX: the domain is its own MX")
    func implicitMX() async {
        var resolver = FakeResolver()
        resolver.mxRecords["example.net"] = .failure(.noData(name: "example.net", type: .mx))
        let plan = await MailExchangerPlanner(resolver: resolver).plan(.mx(domain: "example.net", port: 25))
        #expect(plan == .hosts([.init(name: "example.net", port: 25, isAddress: false)]))
    }

    @Test("Null MX fails at once with 556 5.1.10")
    func nullMX() async {
        var resolver = FakeResolver()
        resolver.mxRecords["example.net"] = .success([MXRecord(preference: 0, exchange: "")])
        let plan = await MailExchangerPlanner(resolver: resolver).plan(.mx(domain: "example.net", port: 25))
        guard case .unroutable(let result) = plan else { Issue.record("expected unroutable, got \(plan)"); return }
        #expect(result.kind == .failed)
        #expect(result.reply.code == 556)
        #expect(result.reply.enhanced == EnhancedStatusCode(5, 1, 10))
    }

    @Test("NXDOMAIN fails (5.1.2); a temporary DNS failure defers (4.4.3)")
    func dnsFailures() async {
        var resolver = FakeResolver()
        resolver.mxRecords["gone.example"] = .failure(.nameNotFound(name: "gone.example"))
        resolver.mxRecords["flaky.example"] = .failure(.temporaryFailure(name: "flaky.example", reason: "timeout"))
        let planner = MailExchangerPlanner(resolver: resolver)
        guard case .unroutable(let gone) = await planner.plan(.mx(domain: "gone.example", port: 25)),
              case .unroutable(let flaky) = await planner.plan(.mx(domain: "flaky.example", port: 25)) else {
            Issue.record("expected unroutable plans")
            return
        }
        #expect(gone.kind == .failed && gone.reply.enhanced == EnhancedStatusCode(5, 1, 2))
        #expect(flaky.kind == .deferred && flaky.reply.enhanced == EnhancedStatusCode(4, 4, 3))
    }

    @Test("Address literals and static routes skip the MX lookup")
    func literals() async {
        let planner = MailExchangerPlanner(resolver: FakeResolver())
        #expect(await planner.plan(.mx(domain: "[192.0.2.7]", port: 25)) == .hosts([.init(name: "192.0.2.7", port: 25, isAddress: true)]))
        #expect(await planner.plan(.mx(domain: "[IPv6:2001:db8::7]", port: 25))
            == .hosts([.init(name: "2001:db8::7", port: 25, isAddress: true)]))
        #expect(await planner.plan(.relay(host: "127.0.0.1", port: 2626)) == .hosts([.init(name: "127.0.0.1", port: 2626, isAddress: true)]))
        #expect(await planner.plan(.relay(host: "smarthost.example", port: 25))
            == .hosts([.init(name: "smarthost.example", port: 25, isAddress: false)]))
    }
}
