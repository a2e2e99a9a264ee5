import Foundation
import Synchronization

/// Write-behind rate counters and short-lived read caches in front of an ``AbuseStore``, so that
/// the checks an SMTP session makes at every step are answered from memory, synchronously.
///
/// Why: profiled, a database transaction per SMTP step (connection, MAIL, RCPT, queued
/// message) took about a sixth of the server's CPU, and each one hopped threads twice.
///
/// **Rate counters** (the names in `counters`) are kept in memory:
/// - A counter is read from the store the first time it is used (an async look-up), then
///   check-and-add runs in memory under a lock: within one process the limits are exact.
/// - ``flush()`` (every second in the server, and at shutdown) writes the local additions in
///   one transaction and reads the counters in use back, so additions made by other processes
///   sharing the database are seen. Across processes a limit may therefore be overshot by at
///   most what the other processes accept within one flush interval.
/// - A crash loses the additions since the last flush: the error is on the lenient side for
///   that interval only.
/// - Counters unused for `idleFlushes` flushes are dropped from memory (and read again when
///   used again), so memory follows the clients seen recently, not all clients ever seen.
///
/// Other counters (failed logins: rare, and `security unblock` resets them from another
/// process) and everything else — blocks, logins, limits, suspensions — are written through.
/// Reads of blocks, limits and suspensions are cached for `ttl`, but only the common answers:
/// "no block", "not suspended" (or released), and an account's limits. A block or an active
/// suspension is always read from the store, so `security unblock` and `user release` take
/// effect at once. A local write drops the cached answer at once; a change another process
/// makes (another server's block, `user limits`) is seen within `ttl`.
///
/// Time is the caller's (`now` arguments, and `clock` for flushes and cache ages), so windows
/// follow an injected clock exactly like the store's.
public final class BufferedAbuseStore: AbuseStore {
    private let base: any AbuseStore
    /// Buffered counter names, each with the seconds of history kept in memory (at least the
    /// longest look-back any caller asks for, or those callers read the store).
    private let retention: [AbuseCounter.Name: Int]
    private let ttl: TimeInterval
    private let idleFlushes: Int
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    /// Creates the buffer.
    ///
    /// - Parameters:
    ///   - base: the shared store (the directory database).
    ///   - counters: which counters to buffer, and how many seconds of history to keep for each.
    ///   - ttl: how long a cached block, suspension or limits answer is trusted (seconds).
    ///   - idleFlushes: a counter unused for this many flushes leaves memory.
    ///   - clock: the abuse clock (cache ages and the history kept at a flush).
    public init(wrapping base: any AbuseStore, counters: [AbuseCounter.Name: Int], ttl: TimeInterval = 2,
                idleFlushes: Int = 30, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.retention = counters.mapValues { max(1, $0) }
        self.ttl = ttl
        self.idleFlushes = max(1, idleFlushes)
        self.clock = clock
    }

    // MARK: Synchronous look-ups

    /// ``add(_:to:at:window:limit:)`` answered in memory, or a miss (nothing was added) when
    /// the counter is not buffered or not loaded.
    public func cachedAdd(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow,
                          limit: Int?) -> CacheLookup<CounterAdmission> {
        guard retention[counter.name] != nil else { return .miss }
        let time = Self.seconds(now)
        return state.withLock { state in
            state.admit(amount, to: counter, bucket: window.bucket(containing: time), countedAfter: window.countedAfter(now: time),
                        limit: limit).map(CacheLookup.hit) ?? .miss
        }
    }

    /// ``buckets(of:startingAfter:)`` answered in memory, or a miss.
    public func cachedBuckets(of counter: AbuseCounter, startingAfter after: Int) -> CacheLookup<[CounterBucket]> {
        guard retention[counter.name] != nil else { return .miss }
        return state.withLock { state in state.buckets(of: counter, after: after).map(CacheLookup.hit) ?? .miss }
    }

    /// `.hit(nil)` when `subject` is known to have no block in force; a miss otherwise (blocks
    /// themselves are not cached).
    public func cachedActiveBlock(on subject: AbuseSubject, at now: Date) -> CacheLookup<AbuseBlock?> {
        state.withLock { state in
            guard let fetched = state.unblocked[subject], isFresh(fetched, now: now) else { return .miss }
            return .hit(nil)
        }
    }

    /// The account's suspension record when it is known not to be in force (never suspended:
    /// `.hit(nil)`; released: the record); a miss otherwise.
    public func cachedSuspension(of account: String) -> CacheLookup<AccountSuspension?> {
        let now = clock()
        return state.withLock { state in
            guard let cached = state.suspensions[account.lowercased()], isFresh(cached.fetched, now: now) else { return .miss }
            return .hit(cached.value)
        }
    }

    /// The account's limits, or a miss.
    public func cachedLimits(for account: String) -> CacheLookup<AccountLimits> {
        let now = clock()
        return state.withLock { state in
            guard let cached = state.limits[account.lowercased()], isFresh(cached.fetched, now: now) else { return .miss }
            return .hit(cached.value)
        }
    }

    // MARK: Flushing

    /// Writes the local counter additions in one transaction and reloads the shared totals of
    /// the counters in use; drops idle counters and expired cache entries. On failure the
    /// additions stay pending for the next flush. Flushes run one at a time.
    public func flush() async throws {
        await acquireFlush()
        defer { releaseFlush() }
        let now = clock()
        let time = Self.seconds(now)
        let retention = self.retention
        let (deltas, reading) = state.withLock { state in
            state.prepareFlush(at: time, retention: retention, idleFlushes: idleFlushes)
        }
        let reloaded: [AbuseCounter: [CounterBucket]]
        do {
            reloaded = try await base.applyCounterDeltas(deltas, reading: reading)
        } catch {
            state.withLock { $0.abandonFlush() }
            throw error
        }
        let ttl = self.ttl
        state.withLock { state in
            state.completeFlush(reloaded, horizons: reading)
            state.dropExpired(now: now, ttl: ttl)
        }
    }

    /// Counter additions not yet written (for tests and the shutdown log).
    public var unflushedAdditions: Int {
        state.withLock { state in state.counters.values.reduce(0) { $0 + $1.pending.values.reduce(0, +) + $1.flushing.values.reduce(0, +) } }
    }

    private func acquireFlush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let mayRun = state.withLock { state -> Bool in
                guard state.flushRunning else {
                    state.flushRunning = true
                    return true
                }
                state.flushWaiters.append(continuation)
                return false
            }
            if mayRun { continuation.resume() }
        }
    }

    private func releaseFlush() {
        // The next waiter inherits the running flag.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.flushWaiters.isEmpty else {
                state.flushRunning = false
                return nil
            }
            return state.flushWaiters.removeFirst()
        }
        next?.resume()
    }

    // MARK: AbuseStore: rate counters

    public func add(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow, limit: Int?) async throws -> CounterAdmission {
        guard retention[counter.name] != nil else {
            return try await base.add(amount, to: counter, at: now, window: window, limit: limit)
        }
        if case .hit(let admission) = cachedAdd(amount, to: counter, at: now, window: window, limit: limit) { return admission }
        try await load(counter, startingAfter: window.countedAfter(now: Self.seconds(now)))
        if case .hit(let admission) = cachedAdd(amount, to: counter, at: now, window: window, limit: limit) { return admission }
        // The window reaches further back than memory holds (the clock stepped back): count
        // in the store; the next flush brings the addition into memory.
        return try await base.add(amount, to: counter, at: now, window: window, limit: limit)
    }

    public func buckets(of counter: AbuseCounter, startingAfter after: Int) async throws -> [CounterBucket] {
        guard retention[counter.name] != nil else { return try await base.buckets(of: counter, startingAfter: after) }
        if case .hit(let buckets) = cachedBuckets(of: counter, startingAfter: after) { return buckets }
        try await load(counter, startingAfter: after)
        if case .hit(let buckets) = cachedBuckets(of: counter, startingAfter: after) { return buckets }
        // Older than memory holds: the store's buckets plus what is not written yet (during a
        // flush an addition may be counted twice here: the error is on the strict side).
        let stored = try await base.buckets(of: counter, startingAfter: after)
        let unwritten = state.withLock { state in state.unwritten(counter) }
        return State.merge(stored, unwritten).filter { $0.start > after }
    }

    public func resetCounter(_ counter: AbuseCounter) async throws {
        state.withLock { _ = $0.counters.removeValue(forKey: counter) }
        try await base.resetCounter(counter)
    }

    @discardableResult
    public func pruneCounters(startedBefore before: Int) async throws -> Int {
        try await base.pruneCounters(startedBefore: before)
    }

    public func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]],
                                   reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]] {
        try await base.applyCounterDeltas(deltas, reading: reading)
    }

    /// Reads a counter into memory, unless another caller did meanwhile.
    private func load(_ counter: AbuseCounter, startingAfter after: Int) async throws {
        let horizon = min(after, Self.seconds(clock()) - (retention[counter.name] ?? 0))
        let stored = try await base.buckets(of: counter, startingAfter: horizon)
        state.withLock { state in state.install(counter, buckets: stored, horizon: horizon) }
    }

    // MARK: AbuseStore: blocks

    public func block(_ subject: AbuseSubject, until: Date, reason: String, at now: Date) async throws {
        state.withLock { $0.forgetBlock(subject) }
        try await base.block(subject, until: until, reason: reason, at: now)
        state.withLock { $0.forgetBlock(subject) }
    }

    public func activeBlock(on subject: AbuseSubject, at now: Date) async throws -> AbuseBlock? {
        if case .hit = cachedActiveBlock(on: subject, at: now) { return nil }
        let version = state.withLock { $0.blockVersion }
        let block = try await base.activeBlock(on: subject, at: now)
        if block == nil {
            state.withLock { state in
                // A block written meanwhile by this process must not be hidden by this answer.
                if state.blockVersion == version { state.unblocked[subject] = now }
            }
        }
        return block
    }

    public func activeBlocks(at now: Date) async throws -> [AbuseBlock] {
        try await base.activeBlocks(at: now)
    }

    @discardableResult
    public func unblock(_ subject: AbuseSubject) async throws -> Bool {
        defer { state.withLock { $0.forgetBlock(subject) } }
        return try await base.unblock(subject)
    }

    // MARK: AbuseStore: known login addresses

    public func recordSuccessfulLogin(account: String, client: String, at now: Date) async throws {
        try await base.recordSuccessfulLogin(account: account, client: client, at: now)
    }

    public func hasLoggedIn(account: String, client: String) async throws -> Bool {
        try await base.hasLoggedIn(account: account, client: client)
    }

    // MARK: AbuseStore: per-account limits

    public func setLimits(_ limits: AccountLimits, for account: String) async throws {
        state.withLock { $0.forgetLimits(account.lowercased()) }
        try await base.setLimits(limits, for: account)
        state.withLock { $0.forgetLimits(account.lowercased()) }
    }

    public func limits(for account: String) async throws -> AccountLimits {
        if case .hit(let limits) = cachedLimits(for: account) { return limits }
        let key = account.lowercased()
        let version = state.withLock { $0.limitsVersion }
        let limits = try await base.limits(for: account)
        let now = clock()
        state.withLock { state in
            if state.limitsVersion == version { state.limits[key] = Cached(value: limits, fetched: now) }
        }
        return limits
    }

    // MARK: AbuseStore: suspension

    @discardableResult
    public func suspend(_ account: String, reason: String, at now: Date) async throws -> Bool {
        state.withLock { $0.forgetSuspension(account.lowercased()) }
        defer { state.withLock { $0.forgetSuspension(account.lowercased()) } }
        return try await base.suspend(account, reason: reason, at: now)
    }

    public func suspension(of account: String) async throws -> AccountSuspension? {
        if case .hit(let suspension) = cachedSuspension(of: account) { return suspension }
        let key = account.lowercased()
        let version = state.withLock { $0.suspensionVersion }
        let suspension = try await base.suspension(of: account)
        if suspension?.isActive != true {
            let now = clock()
            state.withLock { state in
                if state.suspensionVersion == version { state.suspensions[key] = Cached(value: suspension, fetched: now) }
            }
        }
        return suspension
    }

    @discardableResult
    public func release(_ account: String, at now: Date) async throws -> Bool {
        defer { state.withLock { $0.forgetSuspension(account.lowercased()) } }
        return try await base.release(account, at: now)
    }

    public func suspendedAccounts() async throws -> [AccountSuspension] {
        try await base.suspendedAccounts()
    }

    // MARK: Helpers

    private func isFresh(_ fetched: Date, now: Date) -> Bool {
        // A clock that went back makes every entry stale rather than immortal.
        now >= fetched && now.timeIntervalSince(fetched) < ttl
    }

    static func seconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }
}

/// A cached answer and when it was read.
private struct Cached<Value: Sendable>: Sendable {
    var value: Value
    var fetched: Date
}

/// One buffered counter.
private struct BufferedCounter: Sendable {
    /// Every bucket starting after this instant is in `buckets`.
    var horizon: Int
    /// The store's buckets as last read plus the local additions since, oldest first.
    var buckets: [CounterBucket]
    /// Local additions not handed to the store yet, by bucket start.
    var pending: [Int: Int] = [:]
    /// Local additions the running flush is writing.
    var flushing: [Int: Int] = [:]
    /// The flush generation in which a caller last used the counter.
    var lastUsed: Int

    /// The buckets starting after `after`.
    func counted(after: Int) -> [CounterBucket] {
        let first = buckets.lastIndex { $0.start <= after }.map { $0 + 1 } ?? buckets.startIndex
        return Array(buckets[first...])
    }

    /// Adds `amount` to the bucket starting at `start` unless the buckets after `after` and it
    /// would exceed `limit`.
    mutating func admit(_ amount: Int, in start: Int, countedAfter after: Int, limit: Int?, generation: Int) -> CounterAdmission {
        lastUsed = generation
        if let limit {
            let total = buckets.reversed().prefix { $0.start > after }.reduce(0) { $0 + $1.amount }
            if total + amount > limit { return CounterAdmission(admitted: false, buckets: counted(after: after)) }
        }
        record(amount, in: start)
        return CounterAdmission(admitted: true, buckets: counted(after: after))
    }

    /// Adds `amount` to the bucket starting at `start`.
    mutating func record(_ amount: Int, in start: Int) {
        pending[start, default: 0] += amount
        // New additions land in the newest bucket almost always: search from the end.
        var index = buckets.endIndex
        while index > buckets.startIndex, buckets[index - 1].start > start { index -= 1 }
        if index > buckets.startIndex, buckets[index - 1].start == start {
            buckets[index - 1].amount += amount
        } else {
            buckets.insert(CounterBucket(start: start, amount: amount), at: index)
        }
    }
}

/// Everything behind the lock.
private struct State: Sendable {
    var counters: [AbuseCounter: BufferedCounter] = [:]
    /// Incremented by every flush; counters remember when they were last used.
    var generation = 0
    var flushRunning = false
    var flushWaiters: [CheckedContinuation<Void, Never>] = []

    /// Subjects known to have no block, with when that was read.
    var unblocked: [AbuseSubject: Date] = [:]
    var suspensions: [String: Cached<AccountSuspension?>] = [:]
    var limits: [String: Cached<AccountLimits>] = [:]
    /// Bumped by local writes, so a read that raced with one is not cached.
    var blockVersion = 0
    var suspensionVersion = 0
    var limitsVersion = 0

    /// The check-and-add of ``AbuseStore/add(_:to:at:window:limit:)``; nil when the counter is
    /// not in memory or memory does not reach back to `after`.
    mutating func admit(_ amount: Int, to counter: AbuseCounter, bucket: Int, countedAfter after: Int,
                        limit: Int?) -> CounterAdmission? {
        guard let horizon = counters[counter]?.horizon, after >= horizon else { return nil }
        // Mutated in place through the dictionary's accessor: the buckets are not copied.
        return counters[counter]!.admit(amount, in: bucket, countedAfter: after, limit: limit, generation: generation)
    }

    mutating func buckets(of counter: AbuseCounter, after: Int) -> [CounterBucket]? {
        guard let horizon = counters[counter]?.horizon, after >= horizon else { return nil }
        counters[counter]!.lastUsed = generation
        return counters[counter]!.counted(after: after)
    }

    /// Installs buckets read from the store, unless the counter was loaded meanwhile. A counter
    /// whose memory does not reach back far enough is replaced when it holds no local additions.
    mutating func install(_ counter: AbuseCounter, buckets: [CounterBucket], horizon: Int) {
        if let existing = counters[counter] {
            guard existing.horizon > horizon, existing.pending.isEmpty, existing.flushing.isEmpty else { return }
        }
        counters[counter] = BufferedCounter(horizon: horizon, buckets: buckets, lastUsed: generation)
    }

    /// The local additions not yet in the store, as buckets.
    func unwritten(_ counter: AbuseCounter) -> [Int: Int] {
        guard let entry = counters[counter] else { return [:] }
        return entry.pending.merging(entry.flushing, uniquingKeysWith: +)
    }

    /// Starts a flush: drops idle counters, moves the pending additions to `flushing`, and
    /// returns what to write and what to read back.
    mutating func prepareFlush(at time: Int, retention: [AbuseCounter.Name: Int],
                               idleFlushes: Int) -> (deltas: [AbuseCounter: [CounterBucket]], reading: [AbuseCounter: Int]) {
        generation += 1
        let generation = self.generation
        counters = counters.filter { _, entry in !entry.pending.isEmpty || generation - entry.lastUsed <= idleFlushes }
        var deltas: [AbuseCounter: [CounterBucket]] = [:]
        var reading: [AbuseCounter: Int] = [:]
        for index in counters.indices {
            let counter = counters.keys[index]
            if !counters.values[index].pending.isEmpty {
                deltas[counter] = counters.values[index].pending.map { CounterBucket(start: $0.key, amount: $0.value) }
                counters.values[index].flushing = counters.values[index].pending
                counters.values[index].pending = [:]
            }
            reading[counter] = time - (retention[counter.name] ?? 0)
        }
        return (deltas, reading)
    }

    /// The flush was written: the store's totals (which include what it wrote) plus what was
    /// added meanwhile become the counters.
    mutating func completeFlush(_ reloaded: [AbuseCounter: [CounterBucket]], horizons: [AbuseCounter: Int]) {
        for (counter, stored) in reloaded {
            guard let horizon = horizons[counter], counters[counter] != nil else { continue }
            let pending = counters[counter]!.pending
            counters[counter]!.buckets = Self.merge(stored, pending)
            counters[counter]!.flushing = [:]
            counters[counter]!.horizon = horizon
        }
    }

    /// The flush failed: what it was writing is pending again (the in-memory totals already
    /// hold it).
    mutating func abandonFlush() {
        for index in counters.indices where !counters.values[index].flushing.isEmpty {
            counters.values[index].pending.merge(counters.values[index].flushing, uniquingKeysWith: +)
            counters.values[index].flushing = [:]
        }
    }

    mutating func dropExpired(now: Date, ttl: TimeInterval) {
        func fresh(_ fetched: Date) -> Bool { now >= fetched && now.timeIntervalSince(fetched) < ttl }
        unblocked = unblocked.filter { fresh($0.value) }
        suspensions = suspensions.filter { fresh($0.value.fetched) }
        limits = limits.filter { fresh($0.value.fetched) }
    }

    mutating func forgetBlock(_ subject: AbuseSubject) {
        blockVersion += 1
        unblocked[subject] = nil
    }

    mutating func forgetSuspension(_ key: String) {
        suspensionVersion += 1
        suspensions[key] = nil
    }

    mutating func forgetLimits(_ key: String) {
        limitsVersion += 1
        limits[key] = nil
    }

    /// Sorted buckets plus additions by bucket start, sorted.
    static func merge(_ buckets: [CounterBucket], _ additions: [Int: Int]) -> [CounterBucket] {
        guard !additions.isEmpty else { return buckets }
        var sums = Dictionary(buckets.map { ($0.start, $0.amount) }, uniquingKeysWith: +)
        sums.merge(additions, uniquingKeysWith: +)
        return sums.map { CounterBucket(start: $0.key, amount: $0.value) }.sorted { $0.start < $1.start }
    }
}
