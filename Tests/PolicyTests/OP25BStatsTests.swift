import Foundation
import Testing
@testable import Policy

@Suite("Stats from nft JSON")
struct OP25BStatsTests {
    /// Captured from nft 1.0.6 in the namespace test: 4 blocked attempts from 203.0.113.10,
    /// 2 from 2001:db8:100::10, 1 from 203.0.113.71 (60-byte IPv4 SYNs, 80-byte IPv6 SYNs).
    @Test("A real `nft -j list table` capture")
    func realCapture() throws {
        let base = try #require(Bundle.module.resourceURL)
        let data = try Data(contentsOf: base.appendingPathComponent("Golden/nft-list-op25b.json"))
        let stats = try OP25BStats.parse(nftJSON: data)
        #expect(stats.blockedPackets == 7)
        #expect(stats.blockedBytes == 4 * 60 + 2 * 80 + 60)
        #expect(stats.offenders.map(\.address.description) == ["203.0.113.10", "2001:db8:100::10", "203.0.113.71"])
        #expect(stats.offenders.map(\.packets) == [4, 2, 1])
        #expect(stats.offenders.map(\.bytes) == [240, 160, 60])
    }

    static func listing(offenders4: String, offenders6: String = "[]", rule: String? = nil) -> Data {
        let reject = rule ?? """
        {"rule": {"family": "inet", "table": "portcullis_op25b", "chain": "op25b_reject", "handle": 20,
          "comment": "portcullis-op25b-reject",
          "expr": [{"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": "tcp"}},
                   {"counter": {"packets": 12, "bytes": 720}}, {"reject": {"type": "tcp reset"}}]}}
        """
        return Data("""
        {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
          {"table": {"family": "inet", "name": "portcullis_op25b", "handle": 1}},
          {"set": {"family": "inet", "name": "offenders4", "table": "portcullis_op25b", "type": "ipv4_addr", "elem": \(offenders4)}},
          {"set": {"family": "inet", "name": "offenders6", "table": "portcullis_op25b", "type": "ipv6_addr", "elem": \(offenders6)}},
          {"set": {"family": "inet", "name": "exempt4", "table": "portcullis_op25b", "type": "ipv4_addr", "elem": ["203.0.113.70"]}},
          \(reject)]}
        """.utf8)
    }

    static func element(_ address: String, _ packets: Int) -> String {
        #"{"elem": {"val": "\#(address)", "expires": 3000, "counter": {"packets": \#(packets), "bytes": \#(packets * 60)}}}"#
    }

    @Test("Offenders sort by packets, ties by address; other sets are ignored")
    func sorting() throws {
        let v4 = "[\(Self.element("203.0.113.9", 5)), \(Self.element("203.0.113.10", 9)), \(Self.element("203.0.113.2", 5))]"
        let v6 = "[\(Self.element("2001:db8:100::1", 5))]"
        let stats = try OP25BStats.parse(nftJSON: Self.listing(offenders4: v4, offenders6: v6))
        #expect(stats.blockedPackets == 12 && stats.blockedBytes == 720)
        #expect(stats.offenders.map { "\($0.address) \($0.packets)" } ==
                ["203.0.113.10 9", "203.0.113.2 5", "203.0.113.9 5", "2001:db8:100::1 5"])
    }

    @Test("Empty offender sets and elements without counters")
    func empty() throws {
        let stats = try OP25BStats.parse(nftJSON: Self.listing(offenders4: "[]"))
        #expect(stats.offenders.isEmpty)
        let bare = try OP25BStats.parse(nftJSON: Self.listing(offenders4: #"["203.0.113.5"]"#))
        #expect(bare.offenders == [OP25BStats.Offender(address: Fixtures.ip("203.0.113.5"), packets: 0, bytes: 0)])
    }

    @Test("Broken input is an error, not a crash", arguments: [
        ("", OP25BStats.ParseError.notNFTablesJSON),
        ("[1, 2]", .notNFTablesJSON),
        (#"{"nftables": 3}"#, .notNFTablesJSON),
        (#"{"nftables": [{"table": {"family": "inet", "name": "portcullis_op25b"}}]}"#, .noRejectRule),
    ])
    func broken(text: String, expected: OP25BStats.ParseError) {
        let error = #expect(throws: OP25BStats.ParseError.self) { try OP25BStats.parse(nftJSON: Data(text.utf8)) }
        #expect(error == expected)
    }

    @Test("A reject rule without counter or an offender that is no address is reported")
    func malformed() {
        let noCounter = #"{"rule": {"family": "inet", "table": "portcullis_op25b", "chain": "op25b_reject", "comment": "portcullis-op25b-reject", "expr": [{"reject": null}]}}"#
        let e1 = #expect(throws: OP25BStats.ParseError.self) {
            try OP25BStats.parse(nftJSON: Self.listing(offenders4: "[]", rule: noCounter))
        }
        #expect(e1 == .malformed("the reject rule has no counter"))
        let e2 = #expect(throws: OP25BStats.ParseError.self) {
            try OP25BStats.parse(nftJSON: Self.listing(offenders4: #"[{"elem": {"val": {"prefix": {"addr": "203.0.113.0", "len": 24}}}}]"#))
        }
        if case .malformed = e2 {} else { Issue.record("expected .malformed, got \(String(describing: e2))") }
    }

    @Test("A rule with the same comment in another table is not ours")
    func otherTable() {
        let foreign = #"{"rule": {"family": "inet", "table": "someone_else", "chain": "c", "comment": "portcullis-op25b-reject", "expr": [{"counter": {"packets": 1, "bytes": 1}}]}}"#
        #expect(throws: OP25BStats.ParseError.noRejectRule) {
            try OP25BStats.parse(nftJSON: Self.listing(offenders4: "[]", rule: foreign))
        }
    }
}
