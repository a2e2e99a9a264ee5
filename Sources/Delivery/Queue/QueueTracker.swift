import Spool

/// What the queue manager keeps in memory: messages being worked on, jobs left per message,
/// and the wake-up signal.
actor QueueTracker {
    private var jobsLeft: [QueueID: Int] = [:]
    private var wakeRequested = false
    private var sleeper: CheckedContinuation<Void, Never>?

    /// Whether `id` has jobs running.
    func isInFlight(_ id: QueueID) -> Bool { jobsLeft[id] != nil }

    /// Marks `id` busy with `jobs` jobs.
    func begin(_ id: QueueID, jobs: Int) {
        jobsLeft[id] = jobs
    }

    /// One job of `id` is done; true when it was the last. The message stays in flight until
    /// ``end(_:)``: finalizing it (DSN, deletion) must not race a scan that would deliver it again.
    func finishJob(_ id: QueueID) -> Bool {
        guard let left = jobsLeft[id] else { return true }
        jobsLeft[id] = max(0, left - 1)
        return left <= 1
    }

    /// `id` is no longer being worked on.
    func end(_ id: QueueID) {
        jobsLeft[id] = nil
    }

    /// Messages in flight (tests, shutdown).
    var inFlightCount: Int { jobsLeft.count }

    /// Ends the current sleep (new mail, flush).
    func wake() {
        wakeRequested = true
        sleeper?.resume()
        sleeper = nil
    }

    /// Sleeps for `interval` or until ``wake()``.
    func sleep(_ interval: Duration) async {
        if wakeRequested {
            wakeRequested = false
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [weak self] in
                try? await Task.sleep(for: interval)
                await self?.wake()
            }
            await withCheckedContinuation { continuation in
                if wakeRequested {
                    continuation.resume()
                } else {
                    sleeper = continuation
                }
            }
            group.cancelAll()
        }
        wakeRequested = false
    }
}
