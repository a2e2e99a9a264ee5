import Abuse
import AbuseTestSupport
import Directory
import Foundation
import SMTPCore
import Testing

/// The abuse rules as pure functions of a snapshot: no store, no clock.
@Suite struct AbuseRulesTests {
    let rules = AbuseRules(settings: smallAbuseSettings(), policy: try! AbuseFixture.policy())
    /// A whole minute, so bucket arithmetic is easy to follow.
    let now = Date(timeIntervalSince1970: TimeInterval(1_800_000_000 - 1_800_000_000 % 60))
    var time: Int { AbuseRules.epochSeconds(now) }
    let account = AbuseSubject.account("taro@alato.example")

    func suspension(released: Date? = nil) -> AccountSuspension {
        AccountSuspension(account: "taro@alato.example", since: now.addingTimeInterval(-7200), reason: "burst", released: released)
    }

    @Test func subjectsAreAccountsForSubmissionAndAddressesInsideAccessNetworks() {
        #expect(rules.rateSubject(AbuseContext(clientAddress: "192.0.2.1", service: .submission, authenticatedAccount: "Taro@alato.example")) == account)
        #expect(rules.rateSubject(AbuseContext(clientAddress: "192.0.2.1", service: .submission)) == nil)
        #expect(rules.rateSubject(AbuseContext(clientAddress: "198.51.100.20", service: .relay)) == .address("198.51.100.20"))
        #expect(rules.rateSubject(AbuseContext(clientAddress: "192.0.2.99", service: .relay)) == nil)
        // Port 25 after AUTH follows the submission rules.
        #expect(rules.rateSubject(AbuseContext(clientAddress: "192.0.2.99", service: .relay, authenticatedAccount: "taro@alato.example")) == account)
    }

    @Test func aConnectionIsCountedUnlessBlockedOrUnlimited() {
        let plan = rules.connectionCounters(client: "203.0.113.5", AbuseSnapshot(now: now))
        #expect(plan.add == .init(counter: AbuseCounter(.connections, .address("203.0.113.5")), window: AbuseRules.connectionWindow, limit: 5))
        #expect(plan.read == nil)
        let block = AbuseBlock(subject: .address("203.0.113.5"), until: now.addingTimeInterval(90.5), reason: "r", created: now)
        #expect(rules.connectionCounters(client: "203.0.113.5", AbuseSnapshot(now: now, block: block)) == .none)
        var settings = smallAbuseSettings()
        settings.connectionsPerMinute = 0
        let unlimited = AbuseRules(settings: settings, policy: rules.policy)
        #expect(unlimited.connectionCounters(client: "203.0.113.5", AbuseSnapshot(now: now)) == .none)
        #expect(unlimited.connection(AbuseSnapshot(now: now)) == .admitted)
        #expect(rules.connection(AbuseSnapshot(now: now, block: block)) == .blocked(retryAfterSeconds: 91))
    }

    @Test func aRefusedConnectionSaysWhenTheOldestLeavesTheMinute() {
        // Five connections 20 s ago: the sixth is refused until their 1 s bucket leaves the window.
        let buckets = [CounterBucket(start: time - 20, amount: 5)]
        let refused = AbuseSnapshot(now: now, admission: CounterAdmission(admitted: false, buckets: buckets))
        #expect(rules.connection(refused) == .rateExceeded(limit: 5, retryAfterSeconds: 41))
        let admitted = AbuseSnapshot(now: now, admission: CounterAdmission(admitted: true, buckets: buckets))
        #expect(rules.connection(admitted) == .admitted)
    }

    @Test func theSenderRuleReadsTheHourAndHonoursSuspensionAndOverrides() {
        let plan = rules.senderCounters(account, AbuseSnapshot(now: now))
        #expect(plan.read == .init(counter: AbuseCounter(.messages, account), after: AbuseRules.messageWindow.countedAfter(now: time)))
        #expect(plan.add == nil)
        let full = [CounterBucket(start: time - 1800, amount: 3)]
        #expect(rules.sender(AbuseSnapshot(now: now, buckets: full)) == .rateExceeded(limit: 3, retryAfterSeconds: 1860))
        #expect(rules.sender(AbuseSnapshot(now: now, buckets: [CounterBucket(start: time - 1800, amount: 2)])) == .proceed)
        // The account's own limit replaces the configured one; 0 switches it off.
        #expect(rules.sender(AbuseSnapshot(now: now, limits: AccountLimits(messagesPerHour: 4), buckets: full)) == .proceed)
        let unlimited = AbuseSnapshot(now: now, limits: AccountLimits(messagesPerHour: 0), buckets: full)
        #expect(rules.sender(unlimited) == .proceed)
        #expect(rules.senderCounters(account, unlimited) == .none)
        // Suspended: refused whatever the count, and nothing read.
        let suspended = AbuseSnapshot(now: now, suspension: suspension())
        #expect(rules.sender(suspended) == .suspended)
        #expect(rules.senderCounters(account, suspended) == .none)
        #expect(rules.mustHold(suspended))
        #expect(!rules.mustHold(AbuseSnapshot(now: now, suspension: suspension(released: now))))
    }

    @Test func aQueuedMessageIsCountedWithoutALimit() {
        #expect(rules.queuedCounters(account).add == .init(counter: AbuseCounter(.messages, account), window: AbuseRules.messageWindow, limit: nil))
    }

    @Test func theRecipientRuleCountsThenRefusesOrTestsForABurst() {
        let plan = rules.recipientCounters(account, AbuseSnapshot(now: now))
        #expect(plan.add == .init(counter: AbuseCounter(.recipients, account), window: AbuseRules.recipientWindow, limit: 8))
        // The burst test looks back 24 h 10 min, past the day's window: the older history is read too.
        #expect(plan.read == .init(counter: AbuseCounter(.recipients, account), after: time - (600 + 24 * 3600) - 120))
        // An address (a relay client) has no burst test; an unlimited account counts without a limit.
        #expect(rules.recipientCounters(.address("198.51.100.20"), AbuseSnapshot(now: now)).read == nil)
        #expect(rules.recipientCounters(account, AbuseSnapshot(now: now, limits: AccountLimits(recipientsPerDay: 0))).add?.limit == nil)

        let day = [CounterBucket(start: time - 3600, amount: 8)]
        let refused = AbuseSnapshot(now: now, admission: CounterAdmission(admitted: false, buckets: day))
        #expect(rules.recipient(account, refused) == .rateExceeded(limit: 8, retryAfterSeconds: 86_400 - 3600 + 60))
        let quiet = AbuseSnapshot(now: now, admission: CounterAdmission(admitted: true, buckets: [CounterBucket(start: time, amount: 6)]))
        #expect(rules.recipient(account, quiet) == .accepted)
        let burst = AbuseSnapshot(now: now, admission: CounterAdmission(admitted: true, buckets: [CounterBucket(start: time, amount: 7)]))
        guard case .burst(let evaluation) = rules.recipient(account, burst) else {
            Issue.record("seven recipients in ten minutes are a burst past the minimum of six")
            return
        }
        #expect(evaluation.recent == 7)
        #expect(evaluation.threshold == 6)
        // Already suspended: no second burst.
        var held = burst
        held.suspension = suspension()
        #expect(rules.recipient(account, held) == .accepted)
        #expect(rules.recipient(.address("198.51.100.20"), burst) == .accepted)
    }

    @Test func theBurstHistoryJoinsTheOlderBucketsToTheCountedWindow() {
        // 2,400 recipients 24 h ago (outside the day's window, inside the baseline) raise the
        // threshold to 10 × 100 = 1,000: 7 recent recipients are no burst any more.
        let older = CounterBucket(start: time - 86_400 - 120, amount: 2400)
        let counted = CounterAdmission(admitted: true, buckets: [CounterBucket(start: time, amount: 7)])
        // The older read may overlap the window: only the admission's buckets count there.
        let snapshot = AbuseSnapshot(now: now, buckets: [older, CounterBucket(start: time, amount: 6)], admission: counted)
        #expect(rules.recipient(account, snapshot) == .accepted)
        #expect(rules.recipient(account, AbuseSnapshot(now: now, admission: counted)) != .accepted)
    }

    @Test func failedLoginsReachTheLimitWithinTheirWindow() {
        let buckets = [CounterBucket(start: time - 700, amount: 3), CounterBucket(start: time - 100, amount: 3)]
        let early = rules.authFailures(buckets, now: now)
        #expect(early.failures == 3)
        #expect(!early.reachesLimit)
        let recent = rules.authFailures(buckets + [CounterBucket(start: time, amount: 1)], now: now)
        #expect(recent.failures == 4)
        #expect(recent.reachesLimit)
    }
}
