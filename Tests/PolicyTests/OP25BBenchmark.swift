import Foundation
import Testing
@testable import Policy

/// Benchmark helper, not a test: builds and renders a policy of 100,000
/// subscriber prefixes and 10,000 exemptions and writes the scripts for
/// `Tests/Interop/op25b/bench_op25b.sh`, which loads them into a namespace.
/// Runs only when `PORTCULLIS_BENCH_OUT` names an output directory; timings
/// go to `timings.txt` there and into Benchmarks/op25b.md by hand, never into an assertion.
@Suite("OP25B benchmark")
struct OP25BBenchmark {
    static let output = ProcessInfo.processInfo.environment["PORTCULLIS_BENCH_OUT"]

    /// 60,000 IPv4 /28 from the shared address space 100.64.0.0/10 (RFC 6598, where
    /// carrier-grade NAT subscriber pools live) and 40,000 IPv6 /56 from 2001:db8::/32;
    /// every tenth prefix has one exemption (/32 or /64), a third of them with an expiry.
    static func specs(now: Date) -> ([AccessNetworkSpec], [ExemptionSpec]) {
        var v4: [String] = []
        var v6: [String] = []
        var exemptions: [ExemptionSpec] = []
        for i in 0..<60_000 {
            let base = UInt32(0x6440_0000) + UInt32(i) * 16   // 100.64.0.0 + i * 16
            let network = IPAddress(ipv4: base)
            v4.append("\(network)/28")
            if i % 10 == 0 {
                exemptions.append(ExemptionSpec(prefix: "\(IPAddress(ipv4: base + 5))/32", reason: "business line \(i)",
                                                created: now - 86_400, until: i % 30 == 0 ? now + 86_400 * 90 : nil))
            }
        }
        for i in 0..<40_000 {
            let base = UInt128(0x2001_0db8) << 96 | UInt128(i) << 72    // 2001:db8:xxxx:xx00::/56
            v6.append("\(IPAddress(ipv6: base))/56")
            if i % 10 == 0 {
                exemptions.append(ExemptionSpec(prefix: "\(IPAddress(ipv6: base | UInt128(3) << 64))/64", reason: "business line v6 \(i)",
                                                created: now - 86_400, until: i % 30 == 0 ? now + 86_400 * 90 : nil))
            }
        }
        return ([AccessNetworkSpec(name: "bench-pool-v4", prefixes: v4, op25b: true),
                 AccessNetworkSpec(name: "bench-pool-v6", prefixes: v6, op25b: true)], exemptions)
    }

    @Test("Render 100,000 prefixes and 10,000 exemptions", .enabled(if: output != nil, "set PORTCULLIS_BENCH_OUT=DIR to run"))
    func render() throws {
        let directory = URL(fileURLWithPath: try #require(Self.output))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let now = Date()
        let (networks, exemptions) = Self.specs(now: now)
        let clock = ContinuousClock()
        var policy: OP25BPolicy?
        let build = try clock.measure {
            policy = try OP25BPolicy(accessNetworks: networks, mailHosts: ["198.51.100.25", "2001:db8:ffff::25"], exemptions: exemptions)
        }
        let built = try #require(policy)
        var script = ""
        let nft = clock.measure { script = NFTablesRenderer.render(policy: built, now: now) }
        var tables = (v4: "", v6: "")
        let ipt = clock.measure { tables = IPTablesRenderer.render(policy: built, now: now) }
        var verdicts = 0
        let decide = clock.measure {
            for i in 0..<100_000 {
                let source = IPAddress(ipv4: 0x6440_0000 + UInt32(i) * 7)
                if built.decide(source: source, destination: IPAddress(ipv4: 0xC633_644D), port: 25, now: now).verdict == .blocked {
                    verdicts += 1
                }
            }
        }
        try script.write(to: directory.appendingPathComponent("bench.nft"), atomically: true, encoding: .utf8)
        try tables.v4.write(to: directory.appendingPathComponent("bench.iptables"), atomically: true, encoding: .utf8)
        try tables.v6.write(to: directory.appendingPathComponent("bench.ip6tables"), atomically: true, encoding: .utf8)
        let report = """
        prefixes: \(networks.map(\.prefixes.count).reduce(0, +)), exemptions: \(exemptions.count)
        build policy (parse + validate): \(build)
        render nftables: \(nft) (\(script.utf8.count) bytes)
        render iptables: \(ipt) (\(tables.v4.utf8.count + tables.v6.utf8.count) bytes)
        100000 decide() calls: \(decide) (\(verdicts) blocked)

        """
        try report.write(to: directory.appendingPathComponent("timings.txt"), atomically: true, encoding: .utf8)
        print(report)
    }
}
