import Foundation
import Spool

/// What the queue manager keeps in memory: messages being worked on, jobs left per message,
/// the messages waiting for a connection to their route, what the spool announced since
/// the run loop last looked, and when the next scan is due.
actor QueueTracker {
    private var jobsLeft: [QueueID: Int] = [:]
    /// Remote messages waiting for a sender of their route, oldest first.
    private var waiting: [Route: [(id: QueueID, message: OutboundMessage)]] = [:]
    /// Senders running per route.
    private var senders: [Route: Int] = [:]
    /// Committed messages announced and not yet planned.
    private var committed: [QueueID] = []
    /// An operator request arrived: the next pass is a scan.
    private var scanRequested = false
    /// The earliest time something known falls due (a retry, a delay notice, an expiry):
    /// the run loop scans then. Reset when a scan starts; the scan and the jobs that end
    /// after it set it again.
    private var nextDue: Date?
    /// The due time of messages in flight, taken into ``nextDue`` when their jobs end.
    private var dueInFlight: [QueueID: Date] = [:]
    private var sleeper: CheckedContinuation<Void, Never>?
    /// Senders whose connection is open and idle, waiting for more mail to their route.
    private var idleSenders: [Route: [Int: CheckedContinuation<Void, Never>]] = [:]
    private var nextIdleToken = 0

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

    /// `id` is no longer being worked on. Its due time counts from now on: in the same step,
    /// so that a scan either sees the message idle or starts before its due time is noted.
    func end(_ id: QueueID) {
        jobsLeft[id] = nil
        if let due = dueInFlight.removeValue(forKey: id) { noteDue(due) }
    }

    /// What a job of `id` recorded falls due at `due` (its earliest, over the message's jobs).
    func noteDue(_ due: Date, for id: QueueID) {
        dueInFlight[id] = min(due, dueInFlight[id] ?? due)
    }

    /// Something falls due at `due`; the run loop wakes if that is earlier than it knew.
    func noteDue(_ due: Date) {
        guard nextDue.map({ due < $0 }) ?? true else { return }
        nextDue = due
        sleeper?.resume()
        sleeper = nil
    }

    /// A scan starts: it finds every due time of the messages not in flight again.
    func startScan() {
        nextDue = nil
    }

    /// Queues `messages` for `route`; returns how many new senders to start so that, up to
    /// `limit` at once, every waiting message has one.
    func enqueue(_ messages: [(id: QueueID, message: OutboundMessage)], for route: Route, senders limit: Int) -> Int {
        waiting[route, default: []].append(contentsOf: messages)
        if let idle = idleSenders.removeValue(forKey: route) {
            for continuation in idle.values { continuation.resume() }
        }
        let running = senders[route, default: 0]
        let wanted = max(0, min(max(1, limit), waiting[route, default: []].count) - running)
        senders[route] = running + wanted
        return wanted
    }

    /// The messages a sender of `route` takes for its next connection: an even share of
    /// those waiting among the route's senders, at most `maximum`. `nil` when none wait: the
    /// sender stops (and counts as stopped from this moment, so an enqueue starts another).
    func nextBatch(for route: Route, maximum: Int) -> [(id: QueueID, message: OutboundMessage)]? {
        if let batch = take(for: route, maximum: maximum) { return batch }
        senders[route, default: 1] -= 1
        if senders[route] == 0 { senders[route] = nil }
        return nil
    }

    /// More messages for a sender's open connection: what waits for `route` now or is
    /// enqueued within `idle`, at most `maximum`; empty when nothing comes. The sender keeps
    /// counting as running meanwhile, so what arrives goes to it rather than to a new
    /// connection (Postfix's connection cache does the same for its smtp processes).
    func more(for route: Route, maximum: Int, idle: Duration) async -> [(id: QueueID, message: OutboundMessage)] {
        let deadline = ContinuousClock.now + idle
        while true {
            if let batch = take(for: route, maximum: maximum) { return batch }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return [] }
            await waitForEnqueue(on: route, until: deadline)
        }
    }

    /// An even share of what waits for `route` among its senders, at most `maximum`; nil when
    /// nothing waits.
    private func take(for route: Route, maximum: Int) -> [(id: QueueID, message: OutboundMessage)]? {
        guard var queue = waiting[route], !queue.isEmpty else {
            waiting[route] = nil
            return nil
        }
        let share = (queue.count + senders[route, default: 1] - 1) / max(1, senders[route, default: 1])
        let batch = Array(queue.prefix(max(1, min(maximum, share))))
        queue.removeFirst(batch.count)
        waiting[route] = queue.isEmpty ? nil : queue
        return batch
    }

    /// Suspends until a message is enqueued for `route`, `deadline` passes, or the task is
    /// cancelled.
    private func waitForEnqueue(on route: Route, until deadline: ContinuousClock.Instant) async {
        let token = nextIdleToken
        nextIdleToken += 1
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self?.wakeIdle(route, token: token)
            }
            await withCheckedContinuation { continuation in
                // The timer may have fired already (it needs this actor to report it).
                if ContinuousClock.now >= deadline || Task.isCancelled {
                    continuation.resume()
                } else {
                    idleSenders[route, default: [:]][token] = continuation
                }
            }
            group.cancelAll()
        }
    }

    private func wakeIdle(_ route: Route, token: Int) {
        idleSenders[route]?.removeValue(forKey: token)?.resume()
        if idleSenders[route]?.isEmpty == true { idleSenders[route] = nil }
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

    /// Sleeps until `scan` (the safety scan) or ``nextDue``, whichever is first, until
    /// something is announced, or until an earlier due time is noted. `now` is the time
    /// ``nextDue`` is measured against.
    func sleep(until scan: ContinuousClock.Instant, now: Date) async {
        guard committed.isEmpty && !scanRequested else { return }
        let deadline = nextDue.map { due in
            let wait = Duration.milliseconds(Int64(min(max(0, due.timeIntervalSince(now)), 86_400) * 1000))
            return min(scan, ContinuousClock.now + wait)
        } ?? scan
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

    /// Whether ``nextDue`` has come.
    func isDue(now: Date) -> Bool {
        nextDue.map { $0 <= now } ?? false
    }

    private func endSleep() {
        sleeper?.resume()
        sleeper = nil
    }
}
