import Directory
import Foundation

/// The abuse state one rule reads, fetched for one step of a session: the block in force on
/// the client or account, the account's limits and suspension, the buckets of a counter and
/// the answer of a check-and-add.
///
/// ``AbuseRules`` decide from it alone; ``AbuseQuery`` fetches it, from memory or the store.
public struct AbuseSnapshot: Sendable, Hashable {
    /// When the step happens.
    public var now: Date
    /// The block in force on the queried subject, if any.
    public var block: AbuseBlock?
    /// The account's overrides of the configured limits.
    public var limits: AccountLimits
    /// The account's suspension record (active or released), if it ever had one.
    public var suspension: AccountSuspension?
    /// Buckets read without counting (the counter's window, or the burst test's older history).
    public var buckets: [CounterBucket]
    /// The answer of the step's check-and-add; nil when the step counted nothing.
    public var admission: CounterAdmission?

    /// A snapshot with the given parts; the rest empty.
    public init(now: Date, block: AbuseBlock? = nil, limits: AccountLimits = .none, suspension: AccountSuspension? = nil,
                buckets: [CounterBucket] = [], admission: CounterAdmission? = nil) {
        self.now = now
        self.block = block
        self.limits = limits
        self.suspension = suspension
        self.buckets = buckets
        self.admission = admission
    }

    /// The step's time in whole seconds since 1970, as the counters keep it.
    public var time: Int { AbuseRules.epochSeconds(now) }

    /// Whether the account's submission is suspended.
    public var isSuspended: Bool { suspension?.isActive == true }
}

/// Which counters a step reads and adds to, once the block, limits and suspension are known
/// (the limit of a check-and-add may be the account's own).
public struct CounterPlan: Sendable, Hashable {
    /// A check-and-add: `amount` 1 unless that would pass `limit` (nil: always added).
    public struct Addition: Sendable, Hashable {
        public var counter: AbuseCounter
        public var window: SlidingWindow
        public var limit: Int?

        public init(counter: AbuseCounter, window: SlidingWindow, limit: Int?) {
            self.counter = counter
            self.window = window
            self.limit = limit
        }
    }

    /// Buckets read without counting: those of `counter` starting after `after`.
    public struct Reading: Sendable, Hashable {
        public var counter: AbuseCounter
        public var after: Int

        public init(counter: AbuseCounter, after: Int) {
            self.counter = counter
            self.after = after
        }
    }

    /// The buckets to read.
    public var read: Reading?
    /// The check-and-add, done last.
    public var add: Addition?

    public init(read: Reading? = nil, add: Addition? = nil) {
        self.read = read
        self.add = add
    }

    /// Nothing to read or count.
    public static let none = CounterPlan()
}

/// What a step fetches: named first, then fetched in one go, either from the memory of a
/// ``BufferedAbuseStore`` (no I/O) or by one load from the store.
///
/// The check-and-add comes last, so a fetch from memory that misses has counted nothing and
/// the load may start over.
struct AbuseQuery: Sendable {
    var now: Date
    /// The subject whose block in force the step reads; a step with a block counts nothing.
    var block: AbuseSubject?
    /// The account whose limits the step reads.
    var limitsOf: String?
    /// The account whose suspension the step reads.
    var suspensionOf: String?
    /// The counters, given the block, limits and suspension.
    var counters: @Sendable (AbuseSnapshot) -> CounterPlan = { _ in .none }

    /// The snapshot from memory, or nil when any part of it is not there.
    func snapshot(in buffer: BufferedAbuseStore) -> AbuseSnapshot? {
        var snapshot = AbuseSnapshot(now: now)
        // Memory knows only "no block in force"; a block itself is read from the store.
        if let subject = block {
            guard case .hit(nil) = buffer.cachedActiveBlock(on: subject, at: now) else { return nil }
        }
        if let account = limitsOf {
            guard case .hit(let limits) = buffer.cachedLimits(for: account) else { return nil }
            snapshot.limits = limits
        }
        if let account = suspensionOf {
            guard case .hit(let suspension) = buffer.cachedSuspension(of: account) else { return nil }
            snapshot.suspension = suspension
        }
        let plan = counters(snapshot)
        if let read = plan.read {
            guard case .hit(let buckets) = buffer.cachedBuckets(of: read.counter, startingAfter: read.after) else { return nil }
            snapshot.buckets = buckets
        }
        if let add = plan.add {
            guard case .hit(let admission) = buffer.cachedAdd(1, to: add.counter, at: now, window: add.window, limit: add.limit) else {
                return nil
            }
            snapshot.admission = admission
        }
        return snapshot
    }

    /// The snapshot read from the store.
    func load(from store: any AbuseStore) async throws -> AbuseSnapshot {
        var snapshot = AbuseSnapshot(now: now)
        if let subject = block {
            snapshot.block = try await store.activeBlock(on: subject, at: now)
            if snapshot.block != nil { return snapshot }
        }
        if let account = limitsOf { snapshot.limits = try await store.limits(for: account) }
        if let account = suspensionOf { snapshot.suspension = try await store.suspension(of: account) }
        let plan = counters(snapshot)
        if let read = plan.read { snapshot.buckets = try await store.buckets(of: read.counter, startingAfter: read.after) }
        if let add = plan.add {
            snapshot.admission = try await store.add(1, to: add.counter, at: now, window: add.window, limit: add.limit)
        }
        return snapshot
    }
}
