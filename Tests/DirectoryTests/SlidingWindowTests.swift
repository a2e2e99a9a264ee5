import Directory
import Testing

/// The window arithmetic behind every rate limit, without a clock or a database.
@Suite struct SlidingWindowTests {
    let minute = SlidingWindow(windowSeconds: 60, bucketSeconds: 1)
    let hour = SlidingWindow(windowSeconds: 3600, bucketSeconds: 60)

    @Test("buckets are aligned to their width, also before 1970",
          arguments: [(0, 0), (59, 0), (60, 60), (3599, 3540), (-1, -60), (-60, -60), (-61, -120)])
    func bucketAlignment(time: Int, start: Int) {
        #expect(hour.bucket(containing: time) == start)
    }

    @Test func anEventCountsForAtLeastTheWindowAndLessThanWindowPlusBucket() {
        // An event at 10:00:59 lands in the 10:00 bucket.
        let bucket = CounterBucket(start: hour.bucket(containing: 36_059), amount: 1)
        #expect(bucket.start == 36_000)
        // Still counted exactly one window after the event…
        #expect(hour.total([bucket], now: 36_059 + 3600) == 1)
        // …and up to the end of its bucket plus the window…
        #expect(hour.total([bucket], now: 36_000 + 60 + 3600 - 1) == 1)
        // …then no longer: a sliding window, not a counter reset at the top of the hour.
        #expect(hour.total([bucket], now: 36_000 + 60 + 3600) == 0)
        #expect(hour.expiry(ofBucketStartingAt: 36_000) == 36_000 + 60 + 3600)
    }

    @Test func totalsOnlyWhatIsInsideTheWindow() {
        let buckets = [CounterBucket(start: 1000, amount: 5), CounterBucket(start: 1030, amount: 2), CounterBucket(start: 1059, amount: 1)]
        #expect(minute.total(buckets, now: 1059) == 8)
        #expect(minute.total(buckets, now: 1061) == 3)   // the 1000 bucket ended at 1001, left at 1061
        #expect(minute.total(buckets, now: 1091) == 1)
        #expect(minute.total(buckets, now: 1120) == 0)
    }

    @Test func admissionIsAgainstTheLimitIncludingTheNewAmount() {
        let buckets = [CounterBucket(start: 100, amount: 9)]
        #expect(minute.admits(1, limit: 10, buckets: buckets, now: 120))
        #expect(!minute.admits(2, limit: 10, buckets: buckets, now: 120))
        #expect(minute.admits(2, limit: 10, buckets: buckets, now: 161))
    }

    @Test func releaseTimeIsWhenEnoughOfTheOldestBucketsHaveLeft() {
        // 10 of 10 used: 4 at 100, 3 at 130, 3 at 150.
        let buckets = [CounterBucket(start: 150, amount: 3), CounterBucket(start: 100, amount: 4), CounterBucket(start: 130, amount: 3)]
        // One more needs the 100 bucket gone: at 100 + 1 + 60.
        #expect(minute.releaseTime(adding: 1, limit: 10, buckets: buckets, now: 155) == 161)
        // Five more need the 130 bucket gone too.
        #expect(minute.releaseTime(adding: 5, limit: 10, buckets: buckets, now: 155) == 191)
        // Already fits: now.
        #expect(minute.releaseTime(adding: 1, limit: 20, buckets: buckets, now: 155) == 155)
        // Never fits.
        #expect(minute.releaseTime(adding: 11, limit: 10, buckets: buckets, now: 155) == nil)
        // At the release time the amount is admitted, one second before it is not.
        #expect(minute.admits(1, limit: 10, buckets: buckets, now: 161))
        #expect(!minute.admits(1, limit: 10, buckets: buckets, now: 160))
    }

    @Test func degenerateSizesAreClampedToOneSecond() {
        let window = SlidingWindow(windowSeconds: 0, bucketSeconds: -5)
        #expect(window.windowSeconds == 1)
        #expect(window.bucketSeconds == 1)
    }
}
