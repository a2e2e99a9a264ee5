import Foundation
import Testing
@testable import Policy

@Suite("Blocked-attempt counters, the window's input and the verdict")
struct OP25BAttemptTests {
    /// Captured from nft 1.0.6: `nft -j list set inet … attempts4` then `… attempts6`, one after the other.
    static let capture = """
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "attempts4", "table": "portcullis_op25b", "type": ["ipv4_addr", "ipv4_addr"], "handle": 2, "size": 65536, "flags": ["timeout"], "timeout": 3600, "elem": [{"elem": {"val": {"concat": ["192.0.2.1", "192.0.2.7"]}, "expires": 3599, "counter": {"packets": 3, "bytes": 180}}}]}}]}
        {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "attempts6", "table": "portcullis_op25b", "type": ["ipv6_addr", "ipv6_addr"], "handle": 3, "size": 65536, "flags": ["timeout"], "timeout": 3600, "elem": [{"elem": {"val": {"concat": ["2001:db8::1", "2001:db8::9"]}, "expires": 3599, "counter": {"packets": 1, "bytes": 80}}}]}}]}

        """

    static func listing(_ elements: [(String, String, Int)], set: String = "attempts4") -> Data {
        let elems = elements.map { source, destination, packets in
            #"{"elem": {"val": {"concat": ["\#(source)", "\#(destination)"]}, "expires": 3000, "counter": {"packets": \#(packets), "bytes": \#(packets * 60)}}}"#
        }.joined(separator: ", ")
        return Data("""
            {"nftables": [{"metainfo": {"json_schema_version": 1}},
              {"set": {"family": "inet", "name": "\(set)", "table": "portcullis_op25b", "type": ["ipv4_addr", "ipv4_addr"], "elem": [\(elems)]}}]}
            """.utf8)
    }

    static func readings(_ elements: [(String, String, Int)]) throws -> [OP25BAttemptReading] {
        try OP25BAttemptReading.parse(nftJSON: listing(elements))
    }

    @Test("a real capture of both sets, two documents one after the other")
    func realCapture() throws {
        let readings = try OP25BAttemptReading.parse(nftJSON: Data(Self.capture.utf8))
        #expect(readings == [
            OP25BAttemptReading(source: try IPAddress("192.0.2.1"), destination: try IPAddress("192.0.2.7"), packets: 3),
            OP25BAttemptReading(source: try IPAddress("2001:db8::1"), destination: try IPAddress("2001:db8::9"), packets: 1),
        ])
    }

    @Test("an empty set, and a set without counters, read as nothing")
    func emptyAndBare() throws {
        #expect(try Self.readings([]).isEmpty)
        let bare = Data(#"{"nftables": [{"set": {"family": "inet", "name": "attempts6", "table": "portcullis_op25b", "elem": [{"concat": ["2001:db8::1", "2001:db8::2"]}]}}]}"#.utf8)
        #expect(try OP25BAttemptReading.parse(nftJSON: bare).map(\.packets) == [0])
    }

    @Test("listings that are not ours or not well formed are refused", arguments: [
        ("not json", OP25BStats.ParseError.notNFTablesJSON),
        (#"{"other": []}"#, .notNFTablesJSON),
        (#"{"nftables": [{"set": {"family": "inet", "name": "offenders4", "table": "portcullis_op25b"}}]}"#, .noAttemptSets),
        (#"{"nftables": [{"set": {"family": "ip", "name": "attempts4", "table": "portcullis_op25b"}}]}"#, .noAttemptSets),
    ])
    func refused(text: String, error: OP25BStats.ParseError) {
        #expect(throws: error) { try OP25BAttemptReading.parse(nftJSON: Data(text.utf8)) }
    }

    @Test("an element that is not an address pair is malformed")
    func malformedElement() {
        let data = Data(#"{"nftables": [{"set": {"family": "inet", "name": "attempts4", "table": "portcullis_op25b", "elem": [{"elem": {"val": "192.0.2.1"}}]}}]}"#.utf8)
        #expect {
            try OP25BAttemptReading.parse(nftJSON: data)
        } throws: { error in
            if case .malformed = error as? OP25BStats.ParseError { return true }
            return false
        }
    }

    // MARK: Subscribers

    @Test("IPv4 counts per address, IPv6 per /64, v4-mapped as IPv4")
    func subscribers() throws {
        #expect(OP25BSubscriber(address: try IPAddress("198.51.100.7")).description == "198.51.100.7")
        #expect(OP25BSubscriber(address: try IPAddress("2001:db8:1:2:aaaa::1")).description == "2001:db8:1:2::/64")
        #expect(OP25BSubscriber(address: try IPAddress("2001:db8:1:2:bbbb::9")) == OP25BSubscriber(address: try IPAddress("2001:db8:1:2::5")))
        #expect(OP25BSubscriber(address: try IPAddress("::ffff:198.51.100.7")).description == "198.51.100.7")
        #expect(OP25BSubscriber(parsing: "2001:db8:1:2::/64")?.description == "2001:db8:1:2::/64")
        #expect(OP25BSubscriber(parsing: "198.51.100.7")?.description == "198.51.100.7")
        #expect(OP25BSubscriber(parsing: "2001:db8:1:2::/56") == nil)
        #expect(OP25BSubscriber(parsing: "2001:db8::1") == nil)
        #expect(OP25BSubscriber(parsing: "nonsense") == nil)
    }

    // MARK: Tracker

    @Test("the first reading is the baseline; later ones count what is new")
    func baselineThenDeltas() throws {
        var tracker = OP25BAttemptTracker()
        #expect(!tracker.hasBaseline)
        #expect(tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 50)])).isEmpty)
        #expect(tracker.hasBaseline)
        let deltas = tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 53), ("192.0.2.10", "198.51.100.2", 2)]))
        #expect(deltas.map { "\($0.subscriber) \($0.destination) \($0.attempts)" } == [
            "192.0.2.10 198.51.100.1 3", "192.0.2.10 198.51.100.2 2",
        ])
        // Nothing new: nothing counted.
        #expect(tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 53), ("192.0.2.10", "198.51.100.2", 2)])).isEmpty)
    }

    @Test("an element that expired and came back counts from zero")
    func expiredElement() throws {
        var tracker = OP25BAttemptTracker()
        _ = tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 40)]))
        _ = tracker.record(try Self.readings([]))
        let deltas = tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 4)]))
        #expect(deltas.map(\.attempts) == [4])
        // Lower than the last reading without a gap: the element was recreated in between.
        #expect(tracker.record(try Self.readings([("192.0.2.10", "198.51.100.1", 1)])).map(\.attempts) == [1])
    }

    @Test("addresses of one IPv6 /64 are merged per destination")
    func mergesIPv6() throws {
        var tracker = OP25BAttemptTracker()
        _ = tracker.record([])
        let a = try IPAddress("2001:db8:1:2::a"), b = try IPAddress("2001:db8:1:2::b"), d = try IPAddress("2001:db8:ffff::25")
        let deltas = tracker.record([
            OP25BAttemptReading(source: a, destination: d, packets: 3), OP25BAttemptReading(source: b, destination: d, packets: 4),
        ])
        #expect(deltas == [OP25BAttemptTracker.Delta(subscriber: OP25BSubscriber(address: a), destination: d, attempts: 7)])
    }

    // MARK: Verdict

    @Test("probably infected: more than the threshold of attempts to more than the minimum of destinations", arguments: [
        (101, 11, true), (100, 11, false), (101, 10, false), (150, 20, true), (5, 5, false), (10_000, 1, false),
    ])
    func verdict(attempts: Int, destinations: Int, flagged: Bool) {
        #expect(OP25BInfectionRule().isProbablyInfected(attempts: attempts, destinations: destinations) == flagged)
    }

    @Test("the thresholds are the configured ones")
    func configuredVerdict() {
        let rule = OP25BInfectionRule(attemptThreshold: 5, destinationThreshold: 1)
        #expect(rule.isProbablyInfected(attempts: 6, destinations: 2))
        #expect(!rule.isProbablyInfected(attempts: 5, destinations: 2))
    }
}
