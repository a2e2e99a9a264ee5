import Directory
import Foundation
import Policy

/// The abuse rules as pure functions: each step names what it reads (``CounterPlan``), and
/// decides from the ``AbuseSnapshot`` fetched for it, with no store, clock or log.
///
/// Who is counted (``rateSubject(_:)``):
/// - submission, and port 25 after AUTH: the authenticated account;
/// - port 25 without AUTH: a client inside an access network (relaying for a subscriber), by its
///   address; mail arriving from elsewhere for hosted domains is not rate limited here;
/// - connections and AUTH failures: the client address (``ClientKey``), every service.
public struct AbuseRules: Sendable {
    /// The verdict on a new connection.
    public enum Connection: Sendable, Hashable {
        case admitted
        /// The client address is blocked for failed logins (submission and POP3 only).
        case blocked(retryAfterSeconds: Int)
        /// Past `connectionsPerMinute`.
        case rateExceeded(limit: Int, retryAfterSeconds: Int)
    }

    /// The verdict on MAIL FROM.
    public enum Sender: Sendable, Hashable {
        case proceed
        /// The account is suspended (compromised-account hold).
        case suspended
        /// Past the messages per hour.
        case rateExceeded(limit: Int, retryAfterSeconds: Int)
    }

    /// The verdict on a valid recipient, once counted.
    public enum Recipient: Sendable, Hashable {
        case accepted
        /// Past the recipients per day: the recipient was not counted.
        case rateExceeded(limit: Int, retryAfterSeconds: Int)
        /// Accepted, and the account's sending is a burst: suspend it from now on.
        case burst(BurstRule.Evaluation)
    }

    /// Window resolutions: 1 s for the minute window, 1 min for the hour and the day.
    public static let connectionWindow = SlidingWindow(windowSeconds: 60, bucketSeconds: 1)
    public static let messageWindow = SlidingWindow(windowSeconds: 3600, bucketSeconds: 60)
    public static let recipientWindow = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)

    public let settings: AbuseSettings
    public let burst: BurstRule
    /// Failed logins, counted over `authFailureWindowSeconds` in sixtieths.
    public let authWindow: SlidingWindow
    /// The access networks (port-25 relay clients are counted by address).
    public let policy: OP25BPolicy

    public init(settings: AbuseSettings, policy: OP25BPolicy) {
        self.settings = settings
        self.policy = policy
        self.burst = BurstRule(settings)
        let window = settings.authFailureWindowSeconds
        self.authWindow = SlidingWindow(windowSeconds: window, bucketSeconds: max(1, window / 60))
    }

    /// The counters a ``BufferedAbuseStore`` should keep in memory, each with the seconds of
    /// history the rules read (the burst test looks back further than the recipient window).
    /// Failed logins are not buffered: they are rare, and `security unblock` resets them from
    /// another process.
    public static func bufferedCounters(_ settings: AbuseSettings) -> [AbuseCounter.Name: Int] {
        let lookback = BurstRule(settings).lookbackSeconds
        let recipients = recipientWindow
        return [
            .connections: connectionWindow.windowSeconds + 2 * connectionWindow.bucketSeconds,
            .messages: messageWindow.windowSeconds + 2 * messageWindow.bucketSeconds,
            .recipients: max(recipients.windowSeconds, lookback + recipients.bucketSeconds) + 2 * recipients.bucketSeconds,
        ]
    }

    /// Whose allowance a transaction uses, or nil when it is not rate limited.
    public func rateSubject(_ context: AbuseContext) -> AbuseSubject? {
        if context.followsSubmissionRules {
            return context.authenticatedAccount.map { AbuseSubject.account($0) }
        }
        guard let address = IPAddress(parsing: context.clientAddress), policy.accessNetwork(containing: address.unmappingIPv4) != nil else {
            return nil
        }
        return .address(ClientKey.key(for: context.clientAddress))
    }

    // MARK: Connections

    /// A connection is counted against its client unless the client is blocked or the limit is off.
    public func connectionCounters(client key: String, _ snapshot: AbuseSnapshot) -> CounterPlan {
        let limit = settings.connectionsPerMinute
        guard snapshot.block == nil, limit > 0 else { return .none }
        return CounterPlan(add: .init(counter: AbuseCounter(.connections, .address(key)), window: Self.connectionWindow, limit: limit))
    }

    /// An address blocked for failed logins is refused (the block is read on the submission
    /// and POP3 services only: port 25 still takes its inbound mail); past the connection rate,
    /// every service refuses.
    public func connection(_ snapshot: AbuseSnapshot) -> Connection {
        if let block = snapshot.block {
            return .blocked(retryAfterSeconds: Self.seconds(from: snapshot.now, to: block.until))
        }
        guard let admission = snapshot.admission, !admission.admitted else { return .admitted }
        let limit = settings.connectionsPerMinute
        return .rateExceeded(limit: limit, retryAfterSeconds: Self.retryAfter(Self.connectionWindow, limit: limit,
                                                                               buckets: admission.buckets, time: snapshot.time))
    }

    // MARK: Messages

    /// The messages per hour that apply: the account's own, else the configured one (0: off).
    public func messageLimit(_ snapshot: AbuseSnapshot) -> Int {
        snapshot.limits.messagesPerHour ?? settings.messagesPerHour
    }

    /// MAIL FROM reads the subject's messages of the last hour, unless suspended or unlimited.
    public func senderCounters(_ subject: AbuseSubject, _ snapshot: AbuseSnapshot) -> CounterPlan {
        guard !snapshot.isSuspended, messageLimit(snapshot) > 0 else { return .none }
        return CounterPlan(read: .init(counter: AbuseCounter(.messages, subject), after: Self.messageWindow.countedAfter(now: snapshot.time)))
    }

    /// A suspended account may not send; one more message must fit in the hour.
    public func sender(_ snapshot: AbuseSnapshot) -> Sender {
        if snapshot.isSuspended { return .suspended }
        let limit = messageLimit(snapshot)
        let window = Self.messageWindow
        guard limit > 0, !window.admits(1, limit: limit, buckets: snapshot.buckets, now: snapshot.time) else { return .proceed }
        return .rateExceeded(limit: limit, retryAfterSeconds: Self.retryAfter(window, limit: limit, buckets: snapshot.buckets,
                                                                               time: snapshot.time))
    }

    /// A queued message is counted, whatever the limit (MAIL FROM enforced it).
    public func queuedCounters(_ subject: AbuseSubject) -> CounterPlan {
        CounterPlan(add: .init(counter: AbuseCounter(.messages, subject), window: Self.messageWindow, limit: nil))
    }

    /// A suspended account's mail is accepted but held.
    public func mustHold(_ snapshot: AbuseSnapshot) -> Bool {
        snapshot.isSuspended
    }

    // MARK: Recipients

    /// The recipients per day that apply: the account's own, else the configured one (0: off).
    public func recipientLimit(_ snapshot: AbuseSnapshot) -> Int {
        snapshot.limits.recipientsPerDay ?? settings.recipientsPerDay
    }

    /// A recipient is counted against the daily allowance; for an account not yet suspended, the
    /// burst test also reads the history older than the recipient window when it looks back further.
    public func recipientCounters(_ subject: AbuseSubject, _ snapshot: AbuseSnapshot) -> CounterPlan {
        let counter = AbuseCounter(.recipients, subject)
        let limit = recipientLimit(snapshot)
        var plan = CounterPlan(add: .init(counter: counter, window: Self.recipientWindow, limit: limit > 0 ? limit : nil))
        if subject.kind == .account, !snapshot.isSuspended, burstNeedsOlderHistory {
            let bucketSeconds = Self.recipientWindow.bucketSeconds
            plan.read = .init(counter: counter, after: snapshot.time - burst.lookbackSeconds - 2 * bucketSeconds)
        }
        return plan
    }

    /// Past the daily allowance the recipient is refused; else, for an account not yet
    /// suspended, the compromised-account test runs on its recipient history (the recipient
    /// that trips it is still accepted: the client is not told, its mail is held).
    public func recipient(_ subject: AbuseSubject, _ snapshot: AbuseSnapshot) -> Recipient {
        guard let admission = snapshot.admission else { return .accepted }
        let time = snapshot.time
        guard admission.admitted else {
            let limit = recipientLimit(snapshot)
            return .rateExceeded(limit: limit, retryAfterSeconds: Self.retryAfter(Self.recipientWindow, limit: limit,
                                                                                   buckets: admission.buckets, time: time))
        }
        guard subject.kind == .account, !snapshot.isSuspended else { return .accepted }
        let evaluation = burst.evaluate(burstHistory(snapshot, admission: admission), bucketSeconds: Self.recipientWindow.bucketSeconds,
                                        now: time, releasedAt: snapshot.suspension?.released.map(Self.epochSeconds))
        return evaluation.isBurst ? .burst(evaluation) : .accepted
    }

    /// Whether the burst test reaches back beyond the recipient window.
    var burstNeedsOlderHistory: Bool {
        burst.lookbackSeconds + Self.recipientWindow.bucketSeconds > Self.recipientWindow.windowSeconds
    }

    /// The recipient buckets the burst test reads: the admission's (the window, this recipient
    /// included) and, when it looks back further, the older ones read before counting (nothing
    /// is added to those any more, so the two join exactly).
    func burstHistory(_ snapshot: AbuseSnapshot, admission: CounterAdmission) -> [CounterBucket] {
        guard burstNeedsOlderHistory else { return admission.buckets }
        let windowStart = Self.recipientWindow.countedAfter(now: snapshot.time)
        return snapshot.buckets.filter { $0.start <= windowStart } + admission.buckets
    }

    // MARK: Failed logins

    /// The failed logins in the window, and whether they reach the limit (block or lock).
    public func authFailures(_ buckets: [CounterBucket], now: Date) -> (failures: Int, reachesLimit: Bool) {
        let failures = authWindow.total(buckets, now: Self.epochSeconds(now))
        return (failures, settings.authFailureLimit > 0 && failures >= settings.authFailureLimit)
    }

    // MARK: Time

    /// Seconds until one more fits under `limit` as the oldest buckets leave the window.
    static func retryAfter(_ window: SlidingWindow, limit: Int, buckets: [CounterBucket], time: Int) -> Int {
        let release = window.releaseTime(adding: 1, limit: limit, buckets: buckets, now: time) ?? time + window.windowSeconds
        return release - time
    }

    /// Whole seconds since 1970, as the counters keep time.
    public static func epochSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    static func seconds(from start: Date, to end: Date) -> Int {
        max(0, Int(end.timeIntervalSince(start).rounded(.up)))
    }
}
