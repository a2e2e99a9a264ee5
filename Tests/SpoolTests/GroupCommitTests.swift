import Foundation
import Testing
@testable import Spool

@Suite("Group commit")
struct GroupCommitTests {
    @Test("commits waiting together share one journal sync")
    func oneBatch() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path)
        let committer = try #require(spool.committer)
        committer.setPaused(true)
        let count = 10
        let task = Task {
            try await withThrowingTaskGroup(of: QueueID.self) { group in
                for seed in 0..<count { group.addTask { try await spoolMessage(spool, sampleMessage(seed: seed)) } }
                return try await group.reduce(into: [QueueID]()) { $0.append($1) }
            }
        }
        // Deterministic: wait until every commit is queued, then let the committer run once.
        while committer.pendingCount < count { try await Task.sleep(for: .milliseconds(5)) }
        committer.setPaused(false)
        let ids = try await task.value
        #expect(spool.statistics.batches == 1)
        #expect(spool.statistics.messages == count)
        #expect(Set(try spool.list().map(\.id)) == Set(ids))
    }

    @Test("A delivered message's deletion waits for the next commit's sync; an operator's is synced at once")
    func lazyDeletion() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let first = try await spoolMessage(spool, sampleMessage(seed: 1))
        let second = try await spoolMessage(spool, sampleMessage(seed: 2))
        let synced = spool.statistics.syncs
        #expect(synced == spool.statistics.batches)

        try await spool.deleteAsync(first, sync: .withNextCommit)
        #expect(spool.statistics.syncs == synced, "a delivered message's deletion alone is not synced")
        #expect(try spool.list().map(\.id) == [second], "but it is gone from the queue at once")
        _ = try await spoolMessage(spool, sampleMessage(seed: 3))
        #expect(spool.statistics.syncs == synced + 1, "the next commit's sync carries it")

        try await spool.deleteAsync(second)
        #expect(spool.statistics.syncs == synced + 2, "an operator's deletion is synced before it returns")
        spool.simulateCrash()
        let reopened = try Spool(directory: folder.path)
        #expect(!(try reopened.list().map(\.id)).contains(first))
        #expect(!(try reopened.list().map(\.id)).contains(second))
    }

    @Test("200 concurrent commits are all durable, listed, intact, and survive a crash")
    func concurrentCommits() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let spool = try Spool(directory: folder.path, options: SpoolOptions(maximumSegmentAge: 3600))
        let results = try await withThrowingTaskGroup(of: (Int, QueueID).self) { group in
            for seed in 0..<200 { group.addTask { (seed, try await spoolMessage(spool, sampleMessage(seed: seed, count: 2000 + seed))) } }
            return try await group.reduce(into: [(Int, QueueID)]()) { $0.append($1) }
        }
        #expect(Set(results.map(\.1)).count == 200)
        #expect(try spool.list().count == 200)
        #expect(spool.statistics.batches <= 200)
        spool.simulateCrash()
        // Lose every queue file: the journal alone must bring all 200 back.
        for name in folder.names(in: "queue") { try FileManager.default.removeItem(atPath: "\(folder.path)/queue/\(name)") }
        let reopened = try Spool(directory: folder.path)
        #expect(try reopened.list().count == 200)
        for (seed, id) in results {
            #expect(try storedBytes(reopened, id) == sampleMessage(seed: seed, count: 2000 + seed))
        }
    }
}

/// Not a timed test: prints throughput so docs/spool.md can record it. Set
/// PORTCULLIS_SPOOL_BENCH_N to change the message count (default 2,000).
@Suite("Spool throughput (benchmark, prints numbers)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_SPOOL_BENCH_N"] != nil,
                "a benchmark, not a test: set PORTCULLIS_SPOOL_BENCH_N=2000 to run it"))
struct SpoolThroughputBenchmark {
    @Test("2,000 commits of 4 KiB: 20 concurrent tasks vs one at a time")
    func throughput() async throws {
        let total = Int(ProcessInfo.processInfo.environment["PORTCULLIS_SPOOL_BENCH_N"] ?? "") ?? 2000
        let message = sampleMessage(seed: 99, count: 4096)
        let clock = ContinuousClock()

        let sequentialFolder = try TemporaryFolder()
        defer { sequentialFolder.remove() }
        let sequentialSpool = try Spool(directory: sequentialFolder.path)
        let sequential = try await clock.measure {
            for _ in 0..<total { try await spoolMessage(sequentialSpool, message, chunk: 4096) }
        }
        let sequentialStats = sequentialSpool.statistics

        let concurrentFolder = try TemporaryFolder()
        defer { concurrentFolder.remove() }
        let concurrentSpool = try Spool(directory: concurrentFolder.path)
        let tasks = 20
        let concurrent = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for _ in stride(from: task, to: total, by: tasks) { try await spoolMessage(concurrentSpool, message, chunk: 4096) }
                    }
                }
                try await group.waitForAll()
            }
        }
        let concurrentStats = concurrentSpool.statistics
        #expect(try sequentialSpool.list().count == total)
        #expect(try concurrentSpool.list().count == total)

        func rate(_ duration: Duration) -> Int {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return Int(Double(total) / seconds)
        }
        print("spool benchmark: \(total) × 4 KiB, sequential: \(rate(sequential)) msg/s (\(sequentialStats.batches) syncs); "
            + "\(tasks) concurrent tasks: \(rate(concurrent)) msg/s (\(concurrentStats.batches) syncs, "
            + "\(String(format: "%.1f", Double(total) / Double(max(1, concurrentStats.batches)))) msgs per sync)")
    }
}
