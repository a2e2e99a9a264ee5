import Foundation
import Testing
@testable import Policy

@Suite("nftables rendering")
struct NFTablesRendererTests {
    @Test("Golden: full policy")
    func goldenFull() throws {
        try Golden.check(NFTablesRenderer.render(policy: RenderFixtures.full(), now: Fixtures.now), "op25b-full.nft")
    }

    @Test("Golden: minimal policy with empty sets")
    func goldenMinimal() throws {
        try Golden.check(NFTablesRenderer.render(policy: RenderFixtures.minimal(), now: Fixtures.now), "op25b-minimal.nft")
    }

    @Test("Deterministic: input order does not change the output")
    func deterministic() throws {
        let policy = try RenderFixtures.full()
        let shuffled = try OP25BPolicy(
            accessNetworks: policy.accessNetworks.map { AccessNetwork(name: $0.name, prefixes: $0.prefixes.reversed(), op25b: $0.op25b) },
            mailHostPrefixes: policy.mailHosts.reversed(), blockedPorts: policy.blockedPorts,
            exemptions: policy.exemptions.reversed())
        #expect(NFTablesRenderer.render(policy: shuffled, now: Fixtures.now) == NFTablesRenderer.render(policy: policy, now: Fixtures.now))
    }

    @Test("Sets hold exactly the blocked prefixes, active exemptions and mail hosts")
    func contents() throws {
        let script = NFTablesRenderer.render(policy: try RenderFixtures.full(), now: Fixtures.now)
        let sets = NFTScript.sets(script)
        #expect(sets["subscribers4"] == ["198.18.0.0/15", "203.0.113.0/24"])   // 198.18.4.0/22 is inside 198.18.0.0/15
        #expect(sets["subscribers6"] == ["2001:db8:100::/48", "2001:db8:101::/48"])
        #expect(sets["exempt4"] == ["198.18.4.9/32", "203.0.113.64/28"])        // .70/32 nested, .80/28 expired
        #expect(sets["exempt6"] == ["2001:db8:100:1::/64"])
        #expect(sets["mailhosts4"] == ["198.51.100.24/29"])
        #expect(sets["mailhosts6"] == ["2001:db8:200::25/128"])
        // op25b = false networks never reach the ruleset.
        #expect(!script.contains("192.0.2.0/25"))
        #expect(!script.contains("2001:db8:300::"))
    }

    @Test("Exemptions are filtered at render time")
    func exemptionsExpire() throws {
        let policy = try RenderFixtures.full()
        let later = Fixtures.now + 3 * Fixtures.day   // the 198.18.4.9 exemption ends after 2 days
        let sets = NFTScript.sets(NFTablesRenderer.render(policy: policy, now: later))
        #expect(sets["exempt4"] == ["203.0.113.64/28"])
        let muchLater = Fixtures.now + 100 * Fixtures.day
        #expect(NFTScript.sets(NFTablesRenderer.render(policy: policy, now: muchLater))["exempt6"] == [])
    }

    @Test("Operator text cannot break out of a comment")
    func commentSafety() throws {
        let script = NFTablesRenderer.render(policy: try RenderFixtures.full(), now: Fixtures.now)
        #expect(script.contains(#"203.0.113.64/28 comment "no expiry: static line 'Kaisha' KK ticket 42","#))
        #expect(!script.contains("\nticket 42"))
        #expect(OP25BRuleSet.commentText("a\"b\\c\nd\u{2028}e\u{202E}f") == "a'b/c d e f")
        let long = OP25BRuleSet.commentText(String(repeating: "あ", count: 100))
        #expect(long.utf8.count <= 100 && long.allSatisfy { $0 == "あ" })
    }

    @Test("Atomic replace idiom and the rule chain are present in order")
    func structure() throws {
        let script = NFTablesRenderer.render(policy: try RenderFixtures.minimal(), now: Fixtures.now)
        let code = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(Array(code.prefix(3)) == ["table inet portcullis_op25b {}", "delete table inet portcullis_op25b", "table inet portcullis_op25b {"])
        let chainRules = code.drop(while: { $0 != "chain forward {" }).dropFirst().prefix(while: { $0 != "}" })
        #expect(Array(chainRules) == [
            "type filter hook forward priority filter; policy accept;",
            "ip daddr @mailhosts4 accept",
            "ip6 daddr @mailhosts6 accept",
            "ip saddr @exempt4 accept",
            "ip6 saddr @exempt6 accept",
            // Counting has rules of its own: a full set cannot skip the reject.
            "ip saddr @subscribers4 tcp dport @blocked_ports update @offenders4 { ip saddr counter }",
            "ip6 saddr @subscribers6 tcp dport @blocked_ports update @offenders6 { ip6 saddr counter }",
            "ip saddr @subscribers4 tcp dport @blocked_ports update @attempts4 { ip saddr . ip daddr counter }",
            "ip6 saddr @subscribers6 tcp dport @blocked_ports update @attempts6 { ip6 saddr . ip6 daddr counter }",
            "ip saddr @subscribers4 tcp dport @blocked_ports jump op25b_reject",
            "ip6 saddr @subscribers6 tcp dport @blocked_ports jump op25b_reject",
        ])
        #expect(code.contains("elements = { 25, 465 }"))
        #expect(code.contains("limit rate 10/minute log prefix \"portcullis-op25b: \" level info"))
        #expect(code.contains("meta l4proto tcp counter reject with tcp reset comment \"portcullis-op25b-reject\""))
    }

    @Test("nft -c accepts the scripts",
          arguments: ["full", "minimal"])
    func nftCheck(name: String) throws {
        // A missing tool fails the test: the ruleset would otherwise go unchecked.
        try #require(Tools.canRun("nft"), "needs nft and root (apt-get install nftables)")
        let policy = name == "full" ? try RenderFixtures.full() : try RenderFixtures.minimal()
        let script = NFTablesRenderer.render(policy: policy, now: Fixtures.now)
        let result = try Tools.run("nft", ["-c", "-f", "-"], input: script)
        #expect(result.status == 0, "nft -c -f: \(result.output)")
    }
}

/// Reads elements back out of a rendered nft script (independently of the renderer's code).
enum NFTScript {
    static func sets(_ script: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        var current: String?
        var inElements = false
        for raw in script.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("set "), line.hasSuffix("{") {
                current = String(line.dropFirst(4).dropLast(2))
                result[current!] = []
            } else if line == "elements = {" {
                inElements = true
            } else if inElements, line == "}" {
                inElements = false
            } else if inElements, let name = current {
                result[name]!.append(String(line.split(separator: " ").first!.trimmingCharacters(in: CharacterSet(charactersIn: ","))))
            } else if line == "}" {
                current = nil
            }
        }
        return result
    }
}
