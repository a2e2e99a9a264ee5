import Config
import Directory
import Foundation
import Logging
import NIOConcurrencyHelpers
import Policy
import SMTPCore

/// The abuse controls, as decisions the session asks for: connection admission,
/// AUTH gating and failure counting, sender and recipient rate limits, and the
/// compromised-account hold.
///
/// All state is in the ``AbuseStore`` (the directory database), so several servers sharing one
/// database share it; the time comes from an ``AbuseClock``. Given a ``BufferedAbuseStore``,
/// the session's decisions (`…Decision` methods) are made synchronously whenever what they
/// need is in memory, and fall back to the async methods otherwise. Who is counted:
/// - submission, and port 25 after AUTH: the authenticated account;
/// - port 25 without AUTH: a client inside an access network (relaying for a subscriber), by its address;
///   mail arriving from elsewhere for hosted domains is not rate limited here;
/// - connections and AUTH failures: the client address (``ClientKey``), every service.
public final class AbuseGuard: Sendable {
    /// The answer of ``authenticationGate(username:client:)``.
    public enum AuthGate: Sendable, Hashable {
        /// Verify the credentials.
        case proceed
        /// The client address is blocked: refuse (454 4.7.0) without verifying.
        case addressBlocked
        /// The account is locked and this address never logged in to it: refuse (454 4.7.0)
        /// without verifying, whatever the password, so the answer says nothing about it.
        case accountLocked
    }

    /// The answer of ``admitRecipient(context:)``.
    public enum RecipientVerdict: Sendable, Hashable {
        /// Accept the recipient.
        case accepted
        /// Refuse it with this reply.
        case refused(Reply)
    }

    /// Window resolutions: 1 s for the minute window, 1 min for the hour and the day.
    static let connectionWindow = SlidingWindow(windowSeconds: 60, bucketSeconds: 1)
    static let messageWindow = SlidingWindow(windowSeconds: 3600, bucketSeconds: 60)
    static let recipientWindow = SlidingWindow(windowSeconds: 86_400, bucketSeconds: 60)

    private let store: any AbuseStore
    /// The store again when it keeps counters and answers in memory: the synchronous paths.
    private let buffer: BufferedAbuseStore?
    private let settings: Configuration.Abuse
    private let clock: AbuseClock
    private let policy: OP25BPolicy
    private let notifier: SuspensionNotifier?
    private let logger: Logger
    private let burst: BurstRule
    private let authWindow: SlidingWindow
    private let lastPrune = NIOLockedValueBox<Int>(0)

    /// Creates the guard.
    ///
    /// - Parameters:
    ///   - store: where counters and blocks live (the directory).
    ///   - policy: the access networks (port-25 relay clients are counted by address).
    ///   - notifier: tells the postmaster about held accounts; nil sends no notice.
    public init(store: any AbuseStore, settings: Configuration.Abuse, policy: OP25BPolicy,
                clock: AbuseClock = .system, notifier: SuspensionNotifier? = nil, logger: Logger) {
        self.store = store
        self.buffer = store as? BufferedAbuseStore
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.notifier = notifier
        self.logger = logger
        self.burst = BurstRule(settings)
        let window = settings.authFailureWindowSeconds
        self.authWindow = SlidingWindow(windowSeconds: window, bucketSeconds: max(1, window / 60))
    }

    /// The current time of the guard's clock.
    public var now: Date { clock.now() }

    /// The counters a ``BufferedAbuseStore`` in front of this guard's store should keep in
    /// memory, each with the seconds of history the decisions read (the burst test looks back
    /// further than the recipient window). Failed logins are not buffered: they are rare, and
    /// `security unblock` resets them from another process.
    public static func bufferedCounters(_ settings: Configuration.Abuse) -> [AbuseCounter.Name: Int] {
        let lookback = BurstRule(settings).lookbackSeconds
        let recipients = recipientWindow
        return [
            .connections: connectionWindow.windowSeconds + 2 * connectionWindow.bucketSeconds,
            .messages: messageWindow.windowSeconds + 2 * messageWindow.bucketSeconds,
            .recipients: max(recipients.windowSeconds, lookback + recipients.bucketSeconds) + 2 * recipients.bucketSeconds,
        ]
    }

    // MARK: Connections

    /// Decides on a new connection: nil to greet it, or the 421 to send before closing.
    ///
    /// An address blocked for failed logins is refused on the submission services; port 25
    /// still takes its inbound mail, and an AUTH there meets ``authenticationGate`` instead.
    /// The connection rate applies everywhere. A storage failure lets the client in (and
    /// is logged): refusing every connection because the database hiccups would be worse.
    public func admitConnection(client: String, service: ServiceKind) async -> Reply? {
        let now = clock.now()
        let key = ClientKey.key(for: client)
        do {
            if service.isSubmission, let block = try await store.activeBlock(on: .address(key), at: now) {
                return Reply.clientBlocked(retryAfterSeconds: Self.seconds(from: now, to: block.until))
            }
            if claimPrune(now) { await prune(now) }
            let limit = settings.connectionsPerMinute
            guard limit > 0 else { return nil }
            let admission = try await store.add(1, to: AbuseCounter(.connections, .address(key)), at: now,
                                                window: Self.connectionWindow, limit: limit)
            return Self.connectionVerdict(admission, limit: limit, now: now)
        } catch {
            logger.error("abuse store failure at connect; admitting", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            return nil
        }
    }

    /// ``admitConnection(client:service:)``, decided at once when the block state and the
    /// connection counter are in memory.
    public func connectionDecision(client: String, service: ServiceKind) -> Decision<Reply?> {
        let deferred = Decision<Reply?>.deferred { await self.admitConnection(client: client, service: service) }
        guard let buffer else { return deferred }
        let now = clock.now()
        let key = ClientKey.key(for: client)
        if service.isSubmission {
            guard case .hit(nil) = buffer.cachedActiveBlock(on: .address(key), at: now) else { return deferred }
        }
        let limit = settings.connectionsPerMinute
        let verdict: Reply?
        if limit > 0 {
            guard case .hit(let admission) = buffer.cachedAdd(1, to: AbuseCounter(.connections, .address(key)), at: now,
                                                             window: Self.connectionWindow, limit: limit) else { return deferred }
            verdict = Self.connectionVerdict(admission, limit: limit, now: now)
        } else {
            verdict = nil
        }
        // Pruning is housekeeping: it must not hold up the greeting.
        if claimPrune(now) { Task { await self.prune(now) } }
        return .immediate(verdict)
    }

    private static func connectionVerdict(_ admission: CounterAdmission, limit: Int, now: Date) -> Reply? {
        guard !admission.admitted else { return nil }
        let window = connectionWindow
        let time = epochSeconds(now)
        let release = window.releaseTime(adding: 1, limit: limit, buckets: admission.buckets, now: time) ?? time + window.windowSeconds
        return Reply.connectionRateExceeded(limit: limit, retryAfterSeconds: release - time)
    }

    // MARK: Authentication

    /// Whether to verify an AUTH attempt at all.
    public func authenticationGate(username: String, client: String) async throws -> AuthGate {
        let now = clock.now()
        let key = ClientKey.key(for: client)
        if try await store.activeBlock(on: .address(key), at: now) != nil { return .addressBlocked }
        if try await store.activeBlock(on: .account(username), at: now) != nil,
           try await !store.hasLoggedIn(account: username, client: key) {
            return .accountLocked
        }
        return .proceed
    }

    /// Counts a failed AUTH against the client address and the account name (whether or not
    /// it exists, so a lock reveals nothing); past `[abuse] auth_failure_limit` in the window,
    /// blocks the address and locks the name for `auth_lockout` seconds.
    public func recordAuthenticationFailure(username: String, client: String) async throws {
        let limit = settings.authFailureLimit
        guard limit > 0 else { return }
        let now = clock.now()
        let time = Self.epochSeconds(now)
        for subject in [AbuseSubject.address(ClientKey.key(for: client)), .account(username)] {
            let admission = try await store.add(1, to: AbuseCounter(.authFailures, subject), at: now, window: authWindow, limit: nil)
            let failures = authWindow.total(admission.buckets, now: time)
            guard failures >= limit else { continue }
            let until = now.addingTimeInterval(TimeInterval(settings.authLockoutSeconds))
            let minutes = max(1, settings.authFailureWindowSeconds / 60)
            try await store.block(subject, until: until, reason: "\(failures) failed logins in \(minutes) minutes", at: now)
            // The account subject is the name a client typed, which may be a password.
            let name = subject.kind == .address ? ("subject", LoggedText(subject.value).description)
                                                : FailedLoginName(subject.value).field
            logger.notice(subject.kind == .address ? "client address blocked" : "account locked", metadata: [
                name.0: .string(name.1), "failures": .stringConvertible(failures),
                "until": .string(ISO8601DateFormatter().string(from: until)),
            ])
        }
    }

    /// Remembers the address of a successful login (it keeps working while the account is locked).
    public func recordAuthenticationSuccess(account: String, client: String) async throws {
        try await store.recordSuccessfulLogin(account: account, client: ClientKey.key(for: client), at: clock.now())
    }

    // MARK: Transactions

    /// Decides on MAIL FROM: nil to go on, or the refusal (550 5.7.1 suspended account,
    /// 450 4.7.1 messages per hour).
    public func checkSender(context: SessionContext) async throws -> Reply? {
        guard let subject = rateSubject(context) else { return nil }
        let now = clock.now()
        var limit = settings.messagesPerHour
        if subject.kind == .account, let account = context.authenticatedAccount {
            if try await store.suspension(of: account)?.isActive == true { return Reply.accountSuspended }
            limit = try await store.limits(for: account).messagesPerHour ?? limit
        }
        guard limit > 0 else { return nil }
        let time = Self.epochSeconds(now)
        let buckets = try await store.buckets(of: AbuseCounter(.messages, subject), startingAfter: Self.messageWindow.countedAfter(now: time))
        return messageVerdict(subject, limit: limit, buckets: buckets, time: time)
    }

    /// ``checkSender(context:)``, decided at once when the account's state and the message
    /// counter are in memory.
    public func senderDecision(context: SessionContext) -> Decision<Reply?> {
        guard let subject = rateSubject(context) else { return .immediate(nil) }
        let deferred = Decision<Reply?>.deferred { try await self.checkSender(context: context) }
        guard let buffer else { return deferred }
        var limit = settings.messagesPerHour
        if subject.kind == .account, let account = context.authenticatedAccount {
            guard case .hit(let suspension) = buffer.cachedSuspension(of: account),
                  case .hit(let limits) = buffer.cachedLimits(for: account) else { return deferred }
            if suspension?.isActive == true { return .immediate(Reply.accountSuspended) }
            limit = limits.messagesPerHour ?? limit
        }
        guard limit > 0 else { return .immediate(nil) }
        let time = Self.epochSeconds(clock.now())
        guard case .hit(let buckets) = buffer.cachedBuckets(of: AbuseCounter(.messages, subject),
                                                             startingAfter: Self.messageWindow.countedAfter(now: time)) else { return deferred }
        return .immediate(messageVerdict(subject, limit: limit, buckets: buckets, time: time))
    }

    private func messageVerdict(_ subject: AbuseSubject, limit: Int, buckets: [CounterBucket], time: Int) -> Reply? {
        let window = Self.messageWindow
        guard !window.admits(1, limit: limit, buckets: buckets, now: time) else { return nil }
        let release = window.releaseTime(adding: 1, limit: limit, buckets: buckets, now: time) ?? time + window.windowSeconds
        logger.notice("message rate limit", metadata: ["subject": .stringConvertible(LoggedText(subject.value)), "limit": .stringConvertible(limit)])
        return Reply.messageRateExceeded(limit: limit, retryAfterSeconds: release - time)
    }

    /// Decides on a valid recipient: counts it against the daily allowance (452 4.5.3 past
    /// it), then runs the compromised-account test; a burst suspends the account (its mail is
    /// held from now on) and notifies the postmaster once. The recipient that trips the hold is
    /// still accepted: the client is not told, its message is held.
    public func admitRecipient(context: SessionContext) async throws -> RecipientVerdict {
        guard let subject = rateSubject(context) else { return .accepted }
        let now = clock.now()
        let time = Self.epochSeconds(now)
        var limit = settings.recipientsPerDay
        if subject.kind == .account, let account = context.authenticatedAccount {
            limit = try await store.limits(for: account).recipientsPerDay ?? limit
        }
        let admission = try await store.add(1, to: AbuseCounter(.recipients, subject), at: now, window: Self.recipientWindow,
                                            limit: limit > 0 ? limit : nil)
        guard admission.admitted else { return .refused(recipientRefusal(subject, limit: limit, admission: admission, time: time)) }
        if subject.kind == .account, let account = context.authenticatedAccount {
            try await checkBurst(account: account, buckets: admission.buckets, now: now, client: context.clientAddress)
        }
        return .accepted
    }

    /// ``admitRecipient(context:)``, decided at once when the account's state and the recipient
    /// counter (with the burst test's history) are in memory. A burst that suspends the
    /// account is written through (deferred), after the recipient was counted in memory.
    public func recipientDecision(context: SessionContext) -> Decision<RecipientVerdict> {
        guard let subject = rateSubject(context) else { return .immediate(.accepted) }
        let deferred = Decision<RecipientVerdict>.deferred { try await self.admitRecipient(context: context) }
        guard let buffer else { return deferred }
        let now = clock.now()
        let time = Self.epochSeconds(now)
        var limit = settings.recipientsPerDay
        let account = subject.kind == .account ? context.authenticatedAccount : nil
        var suspension: AccountSuspension?
        if let account {
            guard case .hit(let limits) = buffer.cachedLimits(for: account),
                  case .hit(let known) = buffer.cachedSuspension(of: account) else { return deferred }
            limit = limits.recipientsPerDay ?? limit
            suspension = known
        }
        guard case .hit(let admission) = buffer.cachedAdd(1, to: AbuseCounter(.recipients, subject), at: now, window: Self.recipientWindow,
                                                         limit: limit > 0 ? limit : nil) else { return deferred }
        guard admission.admitted else { return .immediate(.refused(recipientRefusal(subject, limit: limit, admission: admission, time: time))) }
        // Counted from here on: the rest never falls back to admitRecipient, which would count again.
        guard let account, suspension?.isActive != true else { return .immediate(.accepted) }
        let client = context.clientAddress
        guard case .hit(let history) = burstHistory(account: account, admitted: admission.buckets, time: time, buffer: buffer) else {
            return .deferred {
                try await self.checkBurst(account: account, buckets: admission.buckets, now: now, client: client)
                return .accepted
            }
        }
        let evaluation = burst.evaluate(history, bucketSeconds: Self.recipientWindow.bucketSeconds, now: time,
                                        releasedAt: suspension?.released.map(Self.epochSeconds))
        guard evaluation.isBurst else { return .immediate(.accepted) }
        return .deferred {
            try await self.suspendForBurst(account: account, evaluation: evaluation, now: now, client: client)
            return .accepted
        }
    }

    private func recipientRefusal(_ subject: AbuseSubject, limit: Int, admission: CounterAdmission, time: Int) -> Reply {
        let window = Self.recipientWindow
        let release = window.releaseTime(adding: 1, limit: limit, buckets: admission.buckets, now: time) ?? time + window.windowSeconds
        logger.notice("recipient rate limit", metadata: ["subject": .stringConvertible(LoggedText(subject.value)), "limit": .stringConvertible(limit)])
        return Reply.recipientRateExceeded(limit: limit, retryAfterSeconds: release - time)
    }

    /// Whether a message about to be committed must be held (its account is suspended).
    public func mustHold(context: SessionContext) async throws -> Bool {
        guard context.followsSubmissionRules, let account = context.authenticatedAccount else { return false }
        return try await store.suspension(of: account)?.isActive == true
    }

    /// ``mustHold(context:)``, decided at once when the account is known not to be suspended.
    public func holdDecision(context: SessionContext) -> Decision<Bool> {
        guard context.followsSubmissionRules, let account = context.authenticatedAccount else { return .immediate(false) }
        if let buffer, case .hit(let suspension) = buffer.cachedSuspension(of: account) {
            return .immediate(suspension?.isActive == true)
        }
        return .deferred { try await self.mustHold(context: context) }
    }

    /// Counts a queued message against the hourly allowance.
    public func messageQueued(context: SessionContext) async throws {
        guard let subject = rateSubject(context) else { return }
        _ = try await store.add(1, to: AbuseCounter(.messages, subject), at: clock.now(), window: Self.messageWindow, limit: nil)
    }

    /// ``messageQueued(context:)``, counted at once when the counter is in memory.
    public func messageQueuedDecision(context: SessionContext) -> Decision<Void> {
        guard let subject = rateSubject(context) else { return .immediate(()) }
        if let buffer, case .hit = buffer.cachedAdd(1, to: AbuseCounter(.messages, subject), at: clock.now(),
                                                     window: Self.messageWindow, limit: nil) {
            return .immediate(())
        }
        return .deferred { try await self.messageQueued(context: context) }
    }

    // MARK: Helpers

    private func checkBurst(account: String, buckets: [CounterBucket], now: Date, client: String) async throws {
        let suspension = try await store.suspension(of: account)
        if suspension?.isActive == true { return }
        let time = Self.epochSeconds(now)
        let bucketSeconds = Self.recipientWindow.bucketSeconds
        var history = buckets
        if burst.lookbackSeconds + bucketSeconds > Self.recipientWindow.windowSeconds {
            history = try await store.buckets(of: AbuseCounter(.recipients, .account(account)),
                                              startingAfter: time - burst.lookbackSeconds - 2 * bucketSeconds)
        }
        let evaluation = burst.evaluate(history, bucketSeconds: bucketSeconds, now: time,
                                        releasedAt: suspension?.released.map(Self.epochSeconds))
        guard evaluation.isBurst else { return }
        try await suspendForBurst(account: account, evaluation: evaluation, now: now, client: client)
    }

    /// The recipient buckets the burst test reads, from memory: the admission's own when the
    /// recipient window reaches back far enough, else the longer history.
    private func burstHistory(account: String, admitted: [CounterBucket], time: Int,
                              buffer: BufferedAbuseStore) -> CacheLookup<[CounterBucket]> {
        let bucketSeconds = Self.recipientWindow.bucketSeconds
        guard burst.lookbackSeconds + bucketSeconds > Self.recipientWindow.windowSeconds else { return .hit(admitted) }
        return buffer.cachedBuckets(of: AbuseCounter(.recipients, .account(account)),
                                    startingAfter: time - burst.lookbackSeconds - 2 * bucketSeconds)
    }

    /// Suspends the account for a burst, logs it and tells the postmaster once.
    private func suspendForBurst(account: String, evaluation: BurstRule.Evaluation, now: Date, client: String) async throws {
        let minutes = max(1, burst.windowSeconds / 60)
        let reason = "\(evaluation.recent) recipients in \(minutes) minutes (limit \(evaluation.threshold))"
        guard try await store.suspend(account, reason: reason, at: now) else { return }
        logger.warning("account suspended: sending burst", metadata: [
            "account": .string(account), "recent": .stringConvertible(evaluation.recent),
            "threshold": .stringConvertible(evaluation.threshold), "client": .string(client),
        ])
        guard let notifier else { return }
        do {
            let id = try await notifier.notify(.init(account: account, clientAddress: client, evaluation: evaluation,
                                                     windowSeconds: burst.windowSeconds, date: now))
            logger.notice("postmaster notified of held account", metadata: ["account": .string(account), "queue_id": .string(id.description)])
        } catch {
            logger.error("cannot spool the postmaster notice", metadata: ["account": .string(account), "error": .stringConvertible(LoggedText(describing: error))])
        }
    }

    /// Whose allowance a transaction uses, or nil when it is not rate limited.
    func rateSubject(_ context: SessionContext) -> AbuseSubject? {
        if context.followsSubmissionRules {
            return context.authenticatedAccount.map { AbuseSubject.account($0) }
        }
        guard let address = IPAddress(parsing: context.clientAddress), policy.accessNetwork(containing: address.unmappingIPv4) != nil else {
            return nil
        }
        return .address(ClientKey.key(for: context.clientAddress))
    }

    /// Whether it is time to drop old counter buckets (at most once a minute per process); true
    /// claims the job.
    private func claimPrune(_ now: Date) -> Bool {
        let time = Self.epochSeconds(now)
        return lastPrune.withLockedValue { last -> Bool in
            guard time - last >= 60 || time < last else { return false }
            last = time
            return true
        }
    }

    /// Drops counter buckets older than any window needs.
    private func prune(_ now: Date) async {
        let time = Self.epochSeconds(now)
        let keep = max(Self.recipientWindow.windowSeconds, burst.lookbackSeconds, authWindow.windowSeconds) + 3600
        do {
            try await store.pruneCounters(startedBefore: time - keep)
        } catch {
            logger.error("cannot prune abuse counters", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        }
    }

    static func epochSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    static func seconds(from start: Date, to end: Date) -> Int {
        max(0, Int(end.timeIntervalSince(start).rounded(.up)))
    }
}
