import Foundation
import Testing
@testable import Policy

@Suite("iptables rendering")
struct IPTablesRendererTests {
    @Test("Golden: full policy, both families")
    func golden() throws {
        let rendered = IPTablesRenderer.render(policy: try RenderFixtures.full(), now: Fixtures.now)
        try Golden.check(rendered.v4, "op25b-full.iptables")
        try Golden.check(rendered.v6, "op25b-full.ip6tables")
    }

    @Test("Golden: minimal policy with two blocked ports")
    func goldenMinimal() throws {
        let rendered = IPTablesRenderer.render(policy: try RenderFixtures.minimal(), now: Fixtures.now)
        try Golden.check(rendered.v4, "op25b-minimal.iptables")
        try Golden.check(rendered.v6, "op25b-minimal.ip6tables")
    }

    /// The rules of one chain, as (source, destination, target).
    static func rules(_ text: String, chain: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("-A \(chain) ") }.map { line in
            let words = line.split(separator: " ").map(String.init)
            func value(_ flag: String) -> String? { words.firstIndex(of: flag).map { words[$0 + 1] } }
            return [value("-s").map { "s=\($0)" }, value("-d").map { "d=\($0)" }, value("--dport").map { "dport=\($0)" },
                    value("-j").map { "j=\($0)" }].compactMap { $0 }.joined(separator: " ")
        }
    }

    @Test("Rule order matches the decision: mail hosts, exemptions, then subscribers")
    func order() throws {
        let rendered = IPTablesRenderer.render(policy: try RenderFixtures.full(), now: Fixtures.now)
        #expect(Self.rules(rendered.v4, chain: "FORWARD") == ["dport=25 j=PORTCULLIS-OP25B"])
        #expect(Self.rules(rendered.v4, chain: "PORTCULLIS-OP25B") == [
            "d=198.51.100.24/29 j=RETURN",
            "s=198.18.4.9/32 j=RETURN",
            "s=203.0.113.64/28 j=RETURN",
            "s=198.18.0.0/15 j=PORTCULLIS-OP25B-REJECT",
            "s=203.0.113.0/24 j=PORTCULLIS-OP25B-REJECT",
        ])
        #expect(Self.rules(rendered.v6, chain: "PORTCULLIS-OP25B") == [
            "d=2001:db8:200::25/128 j=RETURN",
            "s=2001:db8:100:1::/64 j=RETURN",
            "s=2001:db8:100::/48 j=PORTCULLIS-OP25B-REJECT",
            "s=2001:db8:101::/48 j=PORTCULLIS-OP25B-REJECT",
        ])
        for text in [rendered.v4, rendered.v6] {
            #expect(Self.rules(text, chain: "PORTCULLIS-OP25B-REJECT").last == "j=REJECT")
            #expect(text.contains("--reject-with tcp-reset"))
            #expect(text.hasSuffix("COMMIT\n"))
        }
        // No address of the other family leaks into a file.
        #expect(!rendered.v4.contains("2001:db8"))
        #expect(!rendered.v6.contains("203.0.113"))
    }

    @Test("iptables-restore --test accepts the IPv4 output",
          arguments: ["full", "minimal"])
    func restoreTest4(name: String) throws {
        try #require(Tools.canRun("iptables-restore"), "needs iptables and root (apt-get install iptables)")
        let policy = name == "full" ? try RenderFixtures.full() : try RenderFixtures.minimal()
        let result = try Tools.run("iptables-restore", ["--test"], input: IPTablesRenderer.render(policy: policy, now: Fixtures.now).v4)
        #expect(result.status == 0, "iptables-restore --test: \(result.output)")
    }

    @Test("ip6tables-restore --test accepts the IPv6 output",
          arguments: ["full", "minimal"])
    func restoreTest6(name: String) throws {
        try #require(Tools.canRun("ip6tables-restore"), "needs ip6tables and root (apt-get install iptables)")
        let policy = name == "full" ? try RenderFixtures.full() : try RenderFixtures.minimal()
        let result = try Tools.run("ip6tables-restore", ["--test"], input: IPTablesRenderer.render(policy: policy, now: Fixtures.now).v6)
        #expect(result.status == 0, "ip6tables-restore --test: \(result.output)")
    }
}
