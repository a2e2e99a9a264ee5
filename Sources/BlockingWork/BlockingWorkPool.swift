import Foundation
import NIOCore
import NIOPosix

/// A bounded pool of threads for work that blocks: password hashing, fsync-heavy spool and
/// Maildir writes, message files read for POP3, libresolv queries.
///
/// Async callers are often running on a SwiftNIO event loop or the cooperative pool; a 50 ms
/// yescrypt computation or a slow fsync there would stall every other connection. ``run(_:)``
/// hands the work to this pool and suspends the caller until it is done; ``run(on:_:)`` does the
/// same for a channel handler, with a future on its event loop. The pool is bounded,
/// so a burst (of AUTH attempts, of deliveries) queues up instead of taking a thread each.
///
/// The threads are a started `NIOThreadPool`: a job is handed over under one lock and a
/// condition variable, which keeps the round trip short for the many small jobs (a 4 KiB
/// message read for RETR) whose latency a client waits on.
///
/// ``shared`` serves the process. The DNS resolver keeps a pool of its own, bounded by
/// `maximumConcurrentQueries`: a query blocks for up to timeout × attempts × servers seconds,
/// and an unreachable nameserver must not hold the threads that spool writes wait for.
public final class BlockingWorkPool: Sendable {
    private let threads: NIOThreadPool

    /// The pool for the process's hashing and file work: twice the cores, because most of it
    /// waits on the disk rather than the CPU.
    public static let shared = BlockingWorkPool(
        name: "portcullis.blocking", maximumConcurrency: 2 * ProcessInfo.processInfo.activeProcessorCount)

    /// Creates a pool running at most `maximumConcurrency` jobs at once. `name` is for the
    /// reader of this code: NIOThreadPool names its threads itself.
    public init(name: String, maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        threads = NIOThreadPool(numberOfThreads: max(1, maximumConcurrency))
        threads.start()
    }

    deinit {
        // The threads finish the jobs already queued, then exit.
        threads.shutdownGracefully { _ in }
    }

    /// Runs `work` on one of the pool's threads and returns its result to the suspended caller.
    public func run<Value: Sendable, Failure: Error>(
        _ work: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            // Every job runs: the pool is only shut down in deinit, when no caller holds it.
            threads.submit { _ in continuation.resume(returning: Result(catching: work)) }
        }
        return try result.get()
    }

    /// Runs `work` on one of the pool's threads; its result completes the returned future on
    /// `eventLoop`. For channel handlers, which must not suspend.
    public func run<Value: Sendable>(on eventLoop: EventLoop,
                                     _ work: @escaping @Sendable () throws -> Value) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        threads.submit { _ in promise.completeWith(Result(catching: work)) }
        return promise.futureResult
    }
}
