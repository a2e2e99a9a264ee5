import Foundation

/// A bounded pool of threads for blocking libresolv calls.
///
/// `res_nquery` blocks for up to timeout × attempts × servers seconds; run on a SwiftNIO
/// event loop or the cooperative pool it would stall everything else. Lookups are handed
/// here and the caller suspends until its answer is ready.
final class QueryThreadPool: @unchecked Sendable {
    // OperationQueue is thread-safe; @unchecked because corelibs does not mark it Sendable.
    private let queue: OperationQueue

    init(name: String, maximumConcurrency: Int) {
        let queue = OperationQueue()
        queue.name = name
        queue.maxConcurrentOperationCount = max(1, maximumConcurrency)
        self.queue = queue
    }

    /// Runs `work` on a pool thread and returns its result.
    func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            queue.addOperation {
                continuation.resume(returning: work())
            }
        }
    }
}
