import Foundation
import Testing
@testable import Policy

@Suite("OP25BPolicy input checks")
struct OP25BPolicyTests {
    func error(_ networks: [AccessNetworkSpec], mailHosts: [String] = Fixtures.mailHosts,
               ports: [Int] = [25], exemptions: [Exemption] = []) -> PolicyError? {
        #expect(throws: PolicyError.self) {
            try OP25BPolicy(accessNetworks: networks, mailHosts: mailHosts, blockedPorts: ports, exemptions: exemptions)
        }
    }

    @Test("A valid configuration builds, ports sorted and merged")
    func valid() throws {
        let policy = try OP25BPolicy(accessNetworks: Fixtures.networks, mailHosts: Fixtures.mailHosts,
                                     blockedPorts: [465, 25, 25], exemptions: Fixtures.exemptions)
        #expect(policy.accessNetworks.map(\.name) == ["alato-express", "alato-biz"])
        #expect(policy.accessNetworks[0].prefixes.map(\.description) == ["203.0.113.0/24", "2001:db8:100::/48"])
        #expect(policy.mailHosts.map(\.description) == ["198.51.100.25/32", "2001:db8:200::25/128"])
        #expect(policy.blockedPorts == [25, 465])
        #expect(try Fixtures.policy().blockedPorts == [25])
    }

    @Test("Host bits set: the error names network, prefix and the fix")
    func hostBitsNamed() {
        let networks = [
            AccessNetworkSpec(name: "alato-express", prefixes: ["2001:db8:100::/48"], op25b: true),
            AccessNetworkSpec(name: "alato-biz", prefixes: ["203.0.113.5/24"], op25b: true),
        ]
        let e = error(networks)
        #expect(e?.description == #"access_networks[1] "alato-biz": prefix "203.0.113.5/24": host bits set, did you mean 203.0.113.0/24"#)
    }

    @Test("Bad prefixes and mail hosts name their entry", arguments: [
        (["garbage"], Fixtures.mailHosts, #"access_networks[0] "n": prefix "garbage": "garbage" is not an IPv4 or IPv6 address"#),
        (["203.0.113.0/33"], Fixtures.mailHosts, #"access_networks[0] "n": prefix "203.0.113.0/33": prefix length 33 is too long for IPv4 (at most 32)"#),
        (["::ffff:203.0.113.0/120"], Fixtures.mailHosts, #"access_networks[0] "n": prefix "::ffff:203.0.113.0/120": IPv4-mapped IPv6 prefixes are not accepted, write the IPv4 prefix 203.0.113.0/24 instead"#),
        (["203.0.113.0/24"], ["198.51.100.25", "198.51.100.25/24"], #"op25b.mail_hosts[1]: prefix "198.51.100.25/24": host bits set, did you mean 198.51.100.0/24"#),
        (["203.0.113.0/24"], ["mail.alato.example"], #"op25b.mail_hosts[0]: prefix "mail.alato.example": "mail.alato.example" is not an IPv4 or IPv6 address"#),
    ])
    func badPrefixes(prefixes: [String], mailHosts: [String], message: String) {
        let e = error([AccessNetworkSpec(name: "n", prefixes: prefixes, op25b: true)], mailHosts: mailHosts)
        #expect(e?.description == message)
    }

    @Test("Names: empty, duplicate; networks without prefixes")
    func names() {
        #expect(error([AccessNetworkSpec(name: " ", prefixes: ["203.0.113.0/24"], op25b: true)])?.problem == .emptyName)
        let dup = error([
            AccessNetworkSpec(name: "a", prefixes: ["203.0.113.0/24"], op25b: true),
            AccessNetworkSpec(name: "a", prefixes: ["192.0.2.0/24"], op25b: true),
        ])
        #expect(dup?.description == #"access_networks[1] "a": name already used by access_networks[0] "a""#)
        #expect(error([AccessNetworkSpec(name: "a", prefixes: [], op25b: true)])?.problem == .noPrefixes)
    }

    @Test("Overlaps: duplicates and nesting within a network are refused")
    func sameNetworkOverlap() throws {
        let dup = error([AccessNetworkSpec(name: "a", prefixes: ["203.0.113.0/24", "203.0.113.0/24"], op25b: true)])
        #expect(dup?.problem == .duplicatePrefix(try IPPrefix("203.0.113.0/24"), otherEntry: #"access_networks[0] "a""#))
        let nested = error([AccessNetworkSpec(name: "a", prefixes: ["203.0.113.128/25", "203.0.113.0/24"], op25b: true)])
        #expect(nested?.problem == .nestedInSameNetwork(inner: try IPPrefix("203.0.113.128/25"), outer: try IPPrefix("203.0.113.0/24")))
        #expect(nested?.description.contains("remove the narrower one") == true)
    }

    @Test("Overlaps across networks: same op25b allowed (most specific wins), opposite refused")
    func crossNetworkOverlap() throws {
        let policy = try OP25BPolicy(accessNetworks: [
            AccessNetworkSpec(name: "pool", prefixes: ["203.0.112.0/23"], op25b: true),
            AccessNetworkSpec(name: "business", prefixes: ["203.0.113.0/24"], op25b: true),
        ], mailHosts: [])
        #expect(policy.accessNetwork(containing: Fixtures.ip("203.0.113.9"))?.name == "business")
        #expect(policy.accessNetwork(containing: Fixtures.ip("203.0.112.9"))?.name == "pool")

        let conflict = error([
            AccessNetworkSpec(name: "pool", prefixes: ["2001:db8:100::/40"], op25b: true),
            AccessNetworkSpec(name: "open", prefixes: ["2001:db8:100:8000::/49"], op25b: false),
        ])
        #expect(conflict?.entry == #"access_networks[1] "open""#)
        #expect(conflict?.problem == .conflictingOverlap(prefix: try IPPrefix("2001:db8:100:8000::/49"),
                                                         otherPrefix: try IPPrefix("2001:db8:100::/40"),
                                                         otherEntry: #"access_networks[0] "pool""#))
        // Declared the other way round, still refused (the narrower prefix is reported).
        let reversed = error([
            AccessNetworkSpec(name: "open", prefixes: ["203.0.113.0/25"], op25b: false),
            AccessNetworkSpec(name: "pool", prefixes: ["203.0.113.0/24"], op25b: true),
        ])
        #expect(reversed?.entry == #"access_networks[0] "open""#)
        // The same prefix in two networks is a duplicate.
        let same = error([
            AccessNetworkSpec(name: "a", prefixes: ["203.0.113.0/24"], op25b: true),
            AccessNetworkSpec(name: "b", prefixes: ["203.0.113.0/24"], op25b: true),
        ])
        #expect(same?.description == #"access_networks[1] "b": prefix 203.0.113.0/24 is also listed in access_networks[0] "a""#)
    }

    @Test("Mail hosts may repeat or nest")
    func mailHostsNest() throws {
        let policy = try OP25BPolicy(accessNetworks: Fixtures.networks,
                                     mailHosts: ["198.51.100.0/24", "198.51.100.25", "198.51.100.25"])
        #expect(policy.mailHost(containing: Fixtures.ip("198.51.100.25"))?.description == "198.51.100.25/32")
        #expect(policy.mailHost(containing: Fixtures.ip("198.51.100.26"))?.description == "198.51.100.0/24")
    }

    @Test("Blocked ports must be TCP ports, at least one", arguments: [[0], [65536], [25, -1], []])
    func ports(ports: [Int]) {
        let e = error(Fixtures.networks, ports: ports)
        #expect(e != nil)
        if ports.isEmpty { #expect(e?.problem == .noBlockedPorts) }
    }

    @Test("Exemptions: outside, wider than the network, duplicate, no reason, expiry before creation")
    func exemptionChecks() throws {
        let outside = error(Fixtures.networks, exemptions: [Fixtures.exemption("198.51.100.0/28", "x", until: nil)])
        #expect(outside?.description == "exemptions[0] 198.51.100.0/28: not inside any access network prefix; only subscriber addresses can be exempted")
        let wider = error(Fixtures.networks, exemptions: [Fixtures.exemption("203.0.112.0/23", "x", until: nil)])
        #expect(wider?.problem == .outsideAccessNetworks(try IPPrefix("203.0.112.0/23")))
        let dup = error(Fixtures.networks, exemptions: [
            Fixtures.exemption("203.0.113.64/28", "a", until: nil),
            Fixtures.exemption("203.0.113.64/28", "b", until: nil),
        ])
        #expect(dup?.entry == "exemptions[1] 203.0.113.64/28")
        let noReason = error(Fixtures.networks, exemptions: [Fixtures.exemption("203.0.113.64/28", "  ", until: nil)])
        #expect(noReason?.problem == .emptyReason)
        let backwards = error(Fixtures.networks, exemptions: [Fixtures.exemption("203.0.113.64/28", "x", until: Fixtures.now - 31 * Fixtures.day)])
        #expect(backwards?.description.contains("not after its creation") == true)
        // Nested exemptions are fine; the whole network prefix may be exempt; an op25b=false network too.
        _ = try OP25BPolicy(accessNetworks: Fixtures.networks, mailHosts: [], exemptions: [
            Fixtures.exemption("203.0.113.64/28", "a", until: nil),
            Fixtures.exemption("203.0.113.65/32", "b", until: Fixtures.now + Fixtures.day),
            Fixtures.exemption("2001:db8:100::/48", "c", until: nil),
            Fixtures.exemption("192.0.2.0/26", "d", until: nil),
        ])
    }

    @Test("exempt add: parse and validate against the policy")
    func exemptAdd() throws {
        let policy = try Fixtures.policy()
        let ok = try Exemption(parsing: "203.0.113.200/29", reason: "ticket 99", created: Fixtures.now)
        let bigger = try policy.adding(ok)
        #expect(bigger.exemptions.count == policy.exemptions.count + 1)
        #expect(bigger.decide(source: Fixtures.ip("203.0.113.201"), destination: Fixtures.ip("198.51.100.77"),
                              port: 25, now: Fixtures.now).verdict == .allowed)

        let parseError = #expect(throws: PolicyError.self) {
            try Exemption(parsing: "203.0.113.5/24", reason: "x", created: Fixtures.now)
        }
        #expect(parseError?.description == #"exemption "203.0.113.5/24": prefix "203.0.113.5/24": host bits set, did you mean 203.0.113.0/24"#)

        let outside = try Exemption(parsing: "192.0.2.128/28", reason: "x", created: Fixtures.now)
        let outsideError = #expect(throws: PolicyError.self) { try policy.validate(exemption: outside) }
        #expect(outsideError?.problem == .outsideAccessNetworks(outside.prefix))

        let again = try Exemption(parsing: "203.0.113.64/28", reason: "again", created: Fixtures.now)
        let dupError = #expect(throws: PolicyError.self) { try policy.validate(exemption: again) }
        #expect(dupError?.description == "exemption 203.0.113.64/28: prefix 203.0.113.64/28 is also listed in exemptions[0]")
    }

    @Test("Exemptions from the directory: a bad prefix names the entry")
    func exemptionSpecs() {
        let specs = [
            ExemptionSpec(prefix: "203.0.113.64/28", reason: "ok", created: Fixtures.now),
            ExemptionSpec(prefix: "203.0.113.65/28", reason: "typo", created: Fixtures.now),
        ]
        let e = #expect(throws: PolicyError.self) {
            try OP25BPolicy(accessNetworks: Fixtures.networks, mailHosts: Fixtures.mailHosts, exemptions: specs)
        }
        #expect(e?.description == #"exemptions[1] "203.0.113.65/28": prefix "203.0.113.65/28": host bits set, did you mean 203.0.113.64/28"#)
    }

    @Test("validateExemptionPrefix: canonical text back, or an error naming the problem", arguments: [
        ("203.0.113.64/28", "exemption \"203.0.113.64/28\": prefix 203.0.113.64/28 is also listed in exemptions[0]"),
        ("203.0.113.9", "203.0.113.9/32"),
        ("2001:DB8:100:0:0::/80", "2001:db8:100::/80"),
        ("198.51.100.0/24", "exemption \"198.51.100.0/24\": not inside any access network prefix; only subscriber addresses can be exempted"),
        ("203.0.113.1/28", "exemption \"203.0.113.1/28\": prefix \"203.0.113.1/28\": host bits set, did you mean 203.0.113.0/28"),
        ("::ffff:203.0.113.9", "exemption \"::ffff:203.0.113.9\": prefix \"::ffff:203.0.113.9\": IPv4-mapped IPv6 prefixes are not accepted, write the IPv4 prefix 203.0.113.9/32 instead"),
    ])
    func validateExemptionPrefix(text: String, expected: String) throws {
        let policy = try Fixtures.policy()
        do {
            #expect(try policy.validateExemptionPrefix(text) == expected)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test("accessNetwork(containing:) for the web checker, including v4-mapped visitors")
    func checker() throws {
        let policy = try Fixtures.policy()
        #expect(policy.accessNetwork(containing: Fixtures.ip("203.0.113.9"))?.name == "alato-express")
        #expect(policy.accessNetwork(containing: Fixtures.ip("::ffff:203.0.113.9"))?.name == "alato-express")
        #expect(policy.accessNetwork(containing: Fixtures.ip("2001:db8:300::1"))?.name == "alato-biz")
        #expect(policy.accessNetwork(containing: Fixtures.ip("192.0.2.200")) == nil)
        #expect(policy.accessNetwork(containing: Fixtures.ip("198.51.100.9")) == nil)
    }

    @Test("Large policies build quickly enough to be used per request")
    func large() throws {
        // 20,000 /28s and as many /64s: overlap checking must not be quadratic.
        var prefixes: [String] = []
        for i in 0..<20_000 {
            prefixes.append("10.\(i >> 8 & 0xff).\(i & 0xff).\(0)/28")
            prefixes.append("2001:db8:\(String(i, radix: 16))::/64")
        }
        let policy = try OP25BPolicy(accessNetworks: [AccessNetworkSpec(name: "big", prefixes: prefixes, op25b: true)],
                                     mailHosts: Fixtures.mailHosts)
        #expect(policy.accessNetwork(containing: Fixtures.ip("10.78.31.5"))?.name == "big")
        #expect(policy.accessNetwork(containing: Fixtures.ip("10.78.31.16")) == nil)
    }

    @Test("Exemptions from the directory replace the policy's own; stale rows are left out and named")
    func replacingExemptions() throws {
        let policy = try Fixtures.policy()
        let (replaced, refused) = policy.replacingExemptions([
            Fixtures.exemption("203.0.113.32/28", "new row", until: nil),
            Fixtures.exemption("198.51.100.0/28", "outside every access network now", until: nil),
            Fixtures.exemption("203.0.113.32/28", "listed twice", until: nil),
        ])
        let outside = try IPPrefix("198.51.100.0/28")
        let twice = try IPPrefix("203.0.113.32/28")
        #expect(replaced.exemptions.map(\.prefix.description) == ["203.0.113.32/28"])
        #expect(refused.map(\.problem) == [
            .outsideAccessNetworks(outside),
            .duplicatePrefix(twice, otherEntry: "exemption 203.0.113.32/28"),
        ])
        #expect(replaced.activeExemption(containing: Fixtures.ip("203.0.113.33"), at: Fixtures.now)?.reason == "new row")
        // The policy's own exemptions are gone from the copy, not from the original.
        #expect(replaced.activeExemption(containing: Fixtures.ip("203.0.113.65"), at: Fixtures.now) == nil)
        #expect(policy.activeExemption(containing: Fixtures.ip("203.0.113.65"), at: Fixtures.now) != nil)
        #expect(replaced.accessNetworks.map(\.name) == policy.accessNetworks.map(\.name))
        #expect(replaced.blockedPorts == policy.blockedPorts)
    }
}
