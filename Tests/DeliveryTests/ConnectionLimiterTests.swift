import Testing
@testable import Delivery

@Suite("Connection limits")
struct ConnectionLimiterTests {
    /// Counts how many holders of each key are inside at once.
    actor Gauge {
        var current: [String: Int] = [:]
        var total = 0
        var maximum: [String: Int] = [:]
        var maximumTotal = 0
        func enter(_ key: String) {
            current[key, default: 0] += 1
            total += 1
            maximum[key] = max(maximum[key, default: 0], current[key]!)
            maximumTotal = max(maximumTotal, total)
        }
        func leave(_ key: String) {
            current[key, default: 0] -= 1
            total -= 1
        }
    }

    @Test("Never more than the global and per-destination limits, and everyone gets through")
    func limits() async {
        let limiter = ConnectionLimiter(global: 5, perDestination: 2)
        let gauge = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                let key = "dest\(index % 4)"
                group.addTask {
                    await limiter.acquire(key)
                    await gauge.enter(key)
                    try? await Task.sleep(for: .milliseconds(2))
                    await gauge.leave(key)
                    await limiter.release(key)
                }
            }
        }
        #expect(await gauge.maximumTotal <= 5)
        #expect(await gauge.maximum.values.allSatisfy { $0 <= 2 })
        #expect(await gauge.maximumTotal >= 2, "the limiter let work run in parallel")
        #expect(await limiter.activeCount == 0)
    }
}
