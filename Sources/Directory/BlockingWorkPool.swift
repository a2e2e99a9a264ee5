import Foundation

/// A small pool of threads for CPU-heavy or blocking work (password hashing).
///
/// Async callers are often running on a SwiftNIO event loop or the cooperative
/// pool; a 50 ms yescrypt computation there would stall every other connection.
/// ``run(_:)`` hands the work to this pool and suspends the caller until it is done.
/// The pool is bounded (by default one thread per core) so a burst of AUTH
/// attempts queues up instead of spawning a thread per attempt.
public final class BlockingWorkPool: @unchecked Sendable {
    // OperationQueue is thread-safe; @unchecked because corelibs does not mark it Sendable everywhere.
    private let queue: OperationQueue

    /// Creates a pool running at most `maximumConcurrency` jobs at once.
    public init(name: String, maximumConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let queue = OperationQueue()
        queue.name = name
        queue.maxConcurrentOperationCount = max(1, maximumConcurrency)
        queue.qualityOfService = .userInitiated
        self.queue = queue
    }

    /// Runs `work` on one of the pool's threads and returns its result to the suspended caller.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            queue.addOperation {
                continuation.resume(with: Swift.Result { try work() })
            }
        }
    }
}
