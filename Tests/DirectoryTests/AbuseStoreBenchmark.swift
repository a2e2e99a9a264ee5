import Directory
import Foundation
import Testing

/// How long one rate-limit check-and-add takes on the SQLite directory.
/// Prints the figure; never asserts timings.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_ABUSE_BENCH"] != nil,
                "a benchmark, not a test: set PORTCULLIS_ABUSE_BENCH=1 to run it"))
struct AbuseStoreBenchmark {
    @Test func checkAndAddCost() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite")
        let window = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let count = 2000
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for index in 0..<count {
                let counter = AbuseCounter(.recipients, .account("user\(index % 50)@alato.example"))
                let result = try await directory.add(1, to: counter, at: start.addingTimeInterval(Double(index)), window: window, limit: 10_000)
                #expect(result.admitted)
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("abuse counter check-and-add: \(count) in \(String(format: "%.2f", seconds)) s, \(String(format: "%.0f", Double(count) / seconds))/s, \(String(format: "%.3f", seconds / Double(count) * 1000)) ms each")
    }

    /// The same through the write-behind buffer: in memory after the first use of
    /// each counter, plus the flush that writes them.
    @Test func bufferedCheckAndAddCost() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite")
        let window = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let buffer = BufferedAbuseStore(wrapping: directory, counters: [.recipients: 87_000],
                                        clock: { start.addingTimeInterval(2000) })
        let count = 200_000
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for index in 0..<count {
                let counter = AbuseCounter(.recipients, .account("user\(index % 50)@alato.example"))
                let now = start.addingTimeInterval(Double(index / 100))
                let result = try await buffer.add(1, to: counter, at: now, window: window, limit: 1_000_000)
                #expect(result.admitted)
            }
        }
        let flush = try await clock.measure { try await buffer.flush() }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("buffered abuse counter check-and-add: \(count) in \(String(format: "%.2f", seconds)) s, \(String(format: "%.0f", Double(count) / seconds))/s, \(String(format: "%.2f", seconds / Double(count) * 1_000_000)) µs each; flush of 50 counters: \(flush)")
    }
}
