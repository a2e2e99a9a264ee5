import Spool

/// What the queue manager keeps in memory: messages being worked on, jobs left per message,
/// and what the spool announced since the run loop last looked.
actor QueueTracker {
    private var jobsLeft: [QueueID: Int] = [:]
    /// Committed messages announced and not yet planned.
    private var committed: [QueueID] = []
    /// An operator request arrived: the next pass is a scan.
    private var scanRequested = false
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

    /// Notes what the spool announced and ends the run loop's sleep.
    func announce(_ announcement: SpoolAnnouncement) {
        switch announcement {
        case .committed(let ids): committed.append(contentsOf: ids)
        case .requested: scanRequested = true
        }
        sleeper?.resume()
        sleeper = nil
    }

    /// The announced work, taken: the messages to plan, and whether a scan was asked for.
    func takeWork() -> (committed: [QueueID], scan: Bool) {
        defer {
            committed.removeAll()
            scanRequested = false
        }
        return (committed, scanRequested)
    }

    /// Sleeps until `deadline` (the next scan) or until something is announced.
    func sleep(until deadline: ContinuousClock.Instant) async {
        guard committed.isEmpty && !scanRequested else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self?.endSleep()
            }
            await withCheckedContinuation { continuation in
                if committed.isEmpty && !scanRequested {
                    sleeper = continuation
                } else {
                    continuation.resume()
                }
            }
            group.cancelAll()
        }
    }

    private func endSleep() {
        sleeper?.resume()
        sleeper = nil
    }
}
