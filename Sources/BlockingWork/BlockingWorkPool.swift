import Foundation
import NIOCore

/// A bounded pool of threads for work that blocks: password hashing, fsync-heavy spool and
/// Maildir writes, libresolv queries.
///
/// Async callers are often running on a SwiftNIO event loop or the cooperative pool; a 50 ms
/// yescrypt computation or a slow fsync there would stall every other connection. ``run(_:)``
/// hands the work to this pool and suspends the caller until it is done; ``run(on:_:)`` does the
/// same for a channel handler, with a future on its event loop. The pool is bounded,
/// so a burst (of AUTH attempts, of deliveries) queues up instead of taking a thread each.
///
/// ``shared`` serves the process. The DNS resolver keeps a pool of its own, bounded by
/// `maximumConcurrentQueries`: a query blocks for up to timeout × attempts × servers seconds,
/// and an unreachable nameserver must not hold the threads that spool writes wait for.
public final class BlockingWorkPool: @unchecked Sendable {
    // OperationQueue is thread-safe; @unchecked because corelibs does not mark it Sendable everywhere.
    private let queue: OperationQueue

    /// The pool for the process's hashing and file work: twice the cores, because most of it
    /// waits on the disk rather than the CPU.
    public static let shared = BlockingWorkPool(
        name: "portcullis.blocking", maximumConcurrency: 2 * ProcessInfo.processInfo.activeProcessorCount)

    /// Creates a pool running at most `maximumConcurrency` jobs at once.
    public init(name: String, maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let queue = OperationQueue()
        queue.name = name
        queue.maxConcurrentOperationCount = max(1, maximumConcurrency)
        queue.qualityOfService = .userInitiated
        self.queue = queue
    }

    /// Runs `work` on one of the pool's threads and returns its result to the suspended caller.
    public func run<Value: Sendable, Failure: Error>(
        _ work: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.addOperation {
                continuation.resume(returning: Result(catching: work))
            }
        }
        return try result.get()
    }

    /// Runs `work` on one of the pool's threads; its result completes the returned future on
    /// `eventLoop`. For channel handlers, which must not suspend.
    public func run<Value: Sendable>(on eventLoop: EventLoop,
                                     _ work: @escaping @Sendable () throws -> Value) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        queue.addOperation { promise.completeWith(Result(catching: work)) }
        return promise.futureResult
    }
}
