import NIOCore
import SMTPServer
import Testing

@Suite struct AuthFailureDelayTests {
    @Test func delayDoublesPerRecentFailureAndIsCapped() {
        let delays = AuthFailureDelay(base: .milliseconds(100))
        let start = NIODeadline.now()
        let observed = (0..<7).map { delays.recordFailure(client: "192.0.2.1", now: start + .seconds(Int64($0))) }
        #expect(observed.map(\.nanoseconds) == [100, 200, 400, 800, 1600, 1600, 1600].map { Int64($0) * 1_000_000 })
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
        let delays = AuthFailureDelay(base: .milliseconds(100), window: .minutes(15))
        let start = NIODeadline.now()
        _ = delays.recordFailure(client: "192.0.2.1", now: start)
        _ = delays.recordFailure(client: "192.0.2.1", now: start + .seconds(1))
        #expect(delays.recordFailure(client: "192.0.2.1", now: start + .minutes(20)) == .milliseconds(100))
    }
}
