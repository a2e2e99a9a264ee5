import Directory
import Abuse
import Testing

/// The compromised-account test as a pure function of recipient buckets.
@Suite struct BurstRuleTests {
    let rule = BurstRule(windowSeconds: 600, baselineHours: 24, minimumRecipients: 200, factor: 10)
    let now = 1_800_000_000 - 1_800_000_000 % 60 + 30

    /// `amount` recipients in each minute of the `minutes` before `now` (minute 0 is the current one).
    func minutes(_ range: ClosedRange<Int>, amount: Int) -> [CounterBucket] {
        range.map { CounterBucket(start: now - now % 60 - $0 * 60, amount: amount) }
    }

    @Test func aQuietAccountIsHeldPastTheMinimum() {
        let atLimit = rule.evaluate(minutes(0...9, amount: 20), bucketSeconds: 60, now: now)
        #expect(atLimit.recent == 200)
        #expect(atLimit.threshold == 200)
        #expect(!atLimit.isBurst)
        let over = rule.evaluate(minutes(0...9, amount: 20) + minutes(0...0, amount: 1), bucketSeconds: 60, now: now)
        #expect(over.recent == 201)
        #expect(over.isBurst)
    }

    @Test func aBusyAccountIsJudgedAgainstTenTimesItsHourlyAverage() {
        // 1,200 recipients an hour for the past day (20 a minute), outside the recent window.
        let history = minutes(12...(24 * 60 + 9), amount: 20)
        let evaluation = rule.evaluate(history + minutes(0...9, amount: 400), bucketSeconds: 60, now: now)
        #expect(evaluation.hourlyAverage > 1100 && evaluation.hourlyAverage <= 1200)
        #expect(evaluation.threshold == Int((10 * evaluation.hourlyAverage).rounded(.up)))
        #expect(evaluation.recent == 4000)
        #expect(!evaluation.isBurst)   // 4,000 in 10 minutes is below 10 × ~1,200
        let burst = rule.evaluate(history + minutes(0...9, amount: 1300), bucketSeconds: 60, now: now)
        #expect(burst.isBurst)
    }

    @Test func recipientsBeforeTheLastReleaseDoNotCount() {
        let buckets = minutes(0...9, amount: 30)   // 300 in ten minutes
        #expect(rule.evaluate(buckets, bucketSeconds: 60, now: now).isBurst)
        // Released during the minute that began 3 minutes ago: that minute also holds sends from
        // before the release and is skipped; the two minutes since and the current one count.
        let released = rule.evaluate(buckets, bucketSeconds: 60, now: now, releasedAt: now - 170)
        #expect(released.recent == 90)
        #expect(!released.isBurst)
    }

    @Test func bucketsOlderThanTheBaselineAreIgnored() {
        let ancient = minutes((24 * 60 + 60)...(24 * 60 + 70), amount: 10_000)
        let evaluation = rule.evaluate(ancient, bucketSeconds: 60, now: now)
        #expect(evaluation.hourlyAverage == 0)
        #expect(evaluation.threshold == 200)
    }
}
