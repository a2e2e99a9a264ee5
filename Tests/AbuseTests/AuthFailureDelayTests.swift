import Abuse
import Testing

@Suite struct AuthFailureDelayTests {
    @Test func delayDoublesPerRecentFailureAndIsCapped() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        let start = ContinuousClock.now
        let observed = (0..<7).map { delays.recordFailure(client: "192.0.2.1", now: start + .seconds(Int64($0))) }
        #expect(observed == [100, 200, 400, 800, 1600, 1600, 1600].map { Duration.milliseconds($0) })
    }

    @Test func clientsAreCountedSeparatelyAndSuccessResets() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        _ = delays.recordFailure(client: "192.0.2.1")
        #expect(delays.recordFailure(client: "192.0.2.2") == .milliseconds(100))
        #expect(delays.recordFailure(client: "192.0.2.1") == .milliseconds(200))
        delays.recordSuccess(client: "192.0.2.1")
        #expect(delays.recordFailure(client: "192.0.2.1") == .milliseconds(100))
    }

    @Test func oldFailuresAreForgotten() {
        let delays = AuthFailureDelay(base: .milliseconds(100), window: .seconds(15 * 60))
        let start = ContinuousClock.now
        _ = delays.recordFailure(client: "192.0.2.1", now: start)
        _ = delays.recordFailure(client: "192.0.2.1", now: start + .seconds(1))
        #expect(delays.recordFailure(client: "192.0.2.1", now: start + .seconds(20 * 60)) == .milliseconds(100))
    }

    @Test func addressesInOneIPv6SlashSixtyFourShareTheDelay() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        // A client rotating through its /64 (SLAAC privacy addresses, or on purpose).
        #expect(delays.recordFailure(client: "2001:db8:1:2::1") == .milliseconds(100))
        #expect(delays.recordFailure(client: "2001:db8:1:2:aaaa::7") == .milliseconds(200))
        #expect(delays.recordFailure(client: "2001:db8:1:2:ffff:ffff:ffff:fffe") == .milliseconds(400))
        // A success from any address of the /64 clears it, as for the whole client.
        delays.recordSuccess(client: "2001:db8:1:2::99")
        #expect(delays.recordFailure(client: "2001:db8:1:2::1") == .milliseconds(100))
    }

    @Test func differentSlashSixtyFoursAreSeparateClients() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        _ = delays.recordFailure(client: "2001:db8:1:2::1")
        _ = delays.recordFailure(client: "2001:db8:1:2::2")
        #expect(delays.recordFailure(client: "2001:db8:1:3::1") == .milliseconds(100))
        #expect(delays.recordFailure(client: "2001:db8:1:2::3") == .milliseconds(400))
    }

    @Test func anIPv4MappedAddressIsTheIPv4Client() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        _ = delays.recordFailure(client: "192.0.2.1")
        #expect(delays.recordFailure(client: "::ffff:192.0.2.1") == .milliseconds(200))
    }

    @Test func aFullTableForgetsOnlyTheLeastRecentClient() {
        let delays = AuthFailureDelay(base: .milliseconds(100), capacity: 3)
        let start = ContinuousClock.now
        for (offset, client) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].enumerated() {
            _ = delays.recordFailure(client: client, now: start + .seconds(Int64(offset)))
        }
        // 192.0.2.1 fails again: now 192.0.2.2 is the least recent.
        #expect(delays.recordFailure(client: "192.0.2.1", now: start + .seconds(3)) == .milliseconds(200))
        // A fourth client at a full table evicts 192.0.2.2 only.
        #expect(delays.recordFailure(client: "192.0.2.4", now: start + .seconds(4)) == .milliseconds(100))
        #expect(delays.recordFailure(client: "192.0.2.1", now: start + .seconds(5)) == .milliseconds(400))
        #expect(delays.recordFailure(client: "192.0.2.3", now: start + .seconds(6)) == .milliseconds(200))
        #expect(delays.recordFailure(client: "192.0.2.4", now: start + .seconds(7)) == .milliseconds(200))
        // 192.0.2.2 was forgotten (and coming back evicts the now least recent, 192.0.2.1).
        #expect(delays.recordFailure(client: "192.0.2.2", now: start + .seconds(8)) == .milliseconds(100))
    }

    @Test func aFloodOfNewClientsKeepsTheTableBoundedAndTheRecentOnes() {
        let delays = AuthFailureDelay(base: .milliseconds(100), capacity: 1000)
        let start = ContinuousClock.now
        _ = delays.recordFailure(client: "198.51.100.7", now: start)
        // 5,000 one-shot clients, but 198.51.100.7 keeps trying every 100 clients.
        for index in 0..<5000 {
            let address = "2001:db8:\(String(index, radix: 16))::1"
            _ = delays.recordFailure(client: address, now: start + .milliseconds(Int64(index)))
            if index % 100 == 99 {
                _ = delays.recordFailure(client: "198.51.100.7", now: start + .milliseconds(Int64(index)))
            }
        }
        #expect(delays.recordFailure(client: "198.51.100.7", now: start + .seconds(6)) == .milliseconds(1600))
        // The oldest one-shot clients are gone, the newest are still there.
        #expect(delays.recordFailure(client: "2001:db8:0::1", now: start + .seconds(6)) == .milliseconds(100))
        #expect(delays.recordFailure(client: "2001:db8:1387::1", now: start + .seconds(6)) == .milliseconds(200))
    }
}
