#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// Threads of delivery's own, at a lower CPU priority than the listeners.
///
/// Delivery's jobs (reading the spool, dot-stuffing, writing state) and its SMTP and LMTP
/// client connections run here, so that while a burst arrives the CPU goes first to the
/// sessions waiting for their 250 and delivery takes what is left: a client is answered as
/// fast as the commit allows, and the queue drains as soon as the burst ends. A lower
/// priority is a smaller share under contention, never a stop: delivery keeps about
/// `1 / (1 + 1.25^niceness)` of a contended core (Linux' weights), all of an idle one.
public final class DeliveryThreads: TaskExecutor, Sendable {
    /// The event loops delivery's connections use.
    public let group: MultiThreadedEventLoopGroup

    /// Starts `threads` event-loop threads and lowers their priority by `niceness`.
    public init(threads: Int = System.coreCount, niceness: Int32 = 10) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        for loop in group.makeIterator() {
            // Linux keeps a nice value per thread, and `who` 0 is the calling thread: this
            // lowers these threads only (setpriority(2), NOTES).
            try? loop.submit { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }.wait()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        group.next().execute { job.runSynchronously(on: executor) }
    }

    /// Stops the threads; nothing may run on them afterwards.
    public func shutdown() async throws {
        try await group.shutdownGracefully()
    }
}
