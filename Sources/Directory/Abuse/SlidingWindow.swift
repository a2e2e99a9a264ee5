/// Sliding-window arithmetic over per-bucket counters, shared by every rate limit.
///
/// The limits are sliding windows, not fixed buckets that reset at the top of the hour. Storing
/// one row per event would make a day's recipient count thousands of rows, so events are added
/// to small buckets (`bucketSeconds` wide, aligned to multiples of it since 1970) and a window
/// sums the buckets it covers. A bucket keeps counting until its *end* has left the window, so
/// an event counts for at least `windowSeconds` and less than `windowSeconds + bucketSeconds`:
/// the error is on the strict side, never lets more through than the limit.
///
/// Pure values and integer seconds, so the arithmetic is tested without a clock or a database.
public struct SlidingWindow: Sendable, Hashable {
    /// The window length in seconds.
    public let windowSeconds: Int
    /// The bucket width in seconds (the window's resolution).
    public let bucketSeconds: Int

    /// A window of `windowSeconds` with buckets of `bucketSeconds` (both at least 1).
    public init(windowSeconds: Int, bucketSeconds: Int) {
        self.windowSeconds = max(1, windowSeconds)
        self.bucketSeconds = max(1, bucketSeconds)
    }

    /// The start of the bucket holding instant `time` (seconds since 1970).
    public func bucket(containing time: Int) -> Int {
        // Floor division, also right for times before 1970.
        let remainder = ((time % bucketSeconds) + bucketSeconds) % bucketSeconds
        return time - remainder
    }

    /// Buckets starting after this instant still count at `now`.
    public func countedAfter(now: Int) -> Int {
        now - windowSeconds - bucketSeconds
    }

    /// Whether the bucket starting at `start` counts at `now`.
    public func counts(bucketStart start: Int, now: Int) -> Bool {
        start > countedAfter(now: now)
    }

    /// When the bucket starting at `start` stops counting.
    public func expiry(ofBucketStartingAt start: Int) -> Int {
        start + bucketSeconds + windowSeconds
    }

    /// The sum of the buckets that count at `now`.
    public func total(_ buckets: [CounterBucket], now: Int) -> Int {
        buckets.reduce(0) { sum, bucket in counts(bucketStart: bucket.start, now: now) ? sum + bucket.amount : sum }
    }

    /// Whether adding `amount` at `now` keeps the window at or under `limit`.
    public func admits(_ amount: Int, limit: Int, buckets: [CounterBucket], now: Int) -> Bool {
        total(buckets, now: now) + amount <= limit
    }

    /// The earliest instant at which adding `amount` fits under `limit` again, as the oldest
    /// buckets leave the window; `now` when it fits already, nil when it never can
    /// (`amount > limit`).
    public func releaseTime(adding amount: Int, limit: Int, buckets: [CounterBucket], now: Int) -> Int? {
        guard amount <= limit else { return nil }
        let counted = buckets.filter { counts(bucketStart: $0.start, now: now) }.sorted { $0.start < $1.start }
        let excess = counted.reduce(0) { $0 + $1.amount } + amount - limit
        guard excess > 0 else { return now }
        var freed = 0
        for bucket in counted {
            freed += bucket.amount
            if freed >= excess { return expiry(ofBucketStartingAt: bucket.start) }
        }
        return nil  // unreachable: all counted buckets together free the whole excess
    }
}
