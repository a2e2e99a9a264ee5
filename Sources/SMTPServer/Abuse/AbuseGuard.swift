import Config
import Directory
import Foundation
import Logging
import NIOConcurrencyHelpers
import Policy
import SMTPCore

/// The abuse controls of issue 6, as decisions the session asks for: connection admission,
/// AUTH gating and failure counting, sender and recipient rate limits, and the
/// compromised-account hold.
///
/// All state is in the ``AbuseStore`` (the directory database), so several servers sharing one
/// database share it; the time comes from an ``AbuseClock``. Who is counted:
/// - submission: the authenticated account;
/// - port 25: a client inside an access network (relaying for a subscriber), by its address;
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

    // MARK: Connections

    /// Decides on a new connection: nil to greet it, or the 421 to send before closing.
    ///
    /// An address blocked for failed logins is refused on the submission services (where AUTH
    /// is); the connection rate applies everywhere. A storage failure lets the client in (and
    /// is logged): refusing every connection because the database hiccups would be worse.
    public func admitConnection(client: String, service: ServiceKind) async -> Reply? {
        let now = clock.now()
        let key = ClientKey.key(for: client)
        do {
            if service.isSubmission, let block = try await store.activeBlock(on: .address(key), at: now) {
                return Reply.clientBlocked(retryAfterSeconds: Self.seconds(from: now, to: block.until))
            }
            await pruneIfDue(now)
            let limit = settings.connectionsPerMinute
            guard limit > 0 else { return nil }
            let window = Self.connectionWindow
            let admission = try await store.add(1, to: AbuseCounter(.connections, .address(key)), at: now, window: window, limit: limit)
            guard !admission.admitted else { return nil }
            let time = Self.epochSeconds(now)
            let release = window.releaseTime(adding: 1, limit: limit, buckets: admission.buckets, now: time) ?? time + window.windowSeconds
            return Reply.connectionRateExceeded(limit: limit, retryAfterSeconds: release - time)
        } catch {
            logger.error("abuse store failure at connect; admitting", metadata: ["error": .string("\(error)")])
            return nil
        }
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
            logger.notice(subject.kind == .address ? "client address blocked" : "account locked", metadata: [
                "subject": .string(subject.value), "failures": .stringConvertible(failures),
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
        let window = Self.messageWindow
        let time = Self.epochSeconds(now)
        let buckets = try await store.buckets(of: AbuseCounter(.messages, subject), startingAfter: window.countedAfter(now: time))
        guard !window.admits(1, limit: limit, buckets: buckets, now: time) else { return nil }
        let release = window.releaseTime(adding: 1, limit: limit, buckets: buckets, now: time) ?? time + window.windowSeconds
        logger.notice("message rate limit", metadata: ["subject": .string(subject.value), "limit": .stringConvertible(limit)])
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
        let window = Self.recipientWindow
        let admission = try await store.add(1, to: AbuseCounter(.recipients, subject), at: now, window: window,
                                            limit: limit > 0 ? limit : nil)
        guard admission.admitted else {
            let release = window.releaseTime(adding: 1, limit: limit, buckets: admission.buckets, now: time) ?? time + window.windowSeconds
            logger.notice("recipient rate limit", metadata: ["subject": .string(subject.value), "limit": .stringConvertible(limit)])
            return .refused(Reply.recipientRateExceeded(limit: limit, retryAfterSeconds: release - time))
        }
        if subject.kind == .account, let account = context.authenticatedAccount {
            try await checkBurst(account: account, buckets: admission.buckets, now: now, client: context.clientAddress)
        }
        return .accepted
    }

    /// Whether a message about to be committed must be held (its account is suspended).
    public func mustHold(context: SessionContext) async throws -> Bool {
        guard context.service.isSubmission, let account = context.authenticatedAccount else { return false }
        return try await store.suspension(of: account)?.isActive == true
    }

    /// Counts a queued message against the hourly allowance.
    public func messageQueued(context: SessionContext) async throws {
        guard let subject = rateSubject(context) else { return }
        _ = try await store.add(1, to: AbuseCounter(.messages, subject), at: clock.now(), window: Self.messageWindow, limit: nil)
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
            logger.error("cannot spool the postmaster notice", metadata: ["account": .string(account), "error": .string("\(error)")])
        }
    }

    /// Whose allowance a transaction uses, or nil when it is not rate limited.
    func rateSubject(_ context: SessionContext) -> AbuseSubject? {
        if context.service.isSubmission {
            return context.authenticatedAccount.map { AbuseSubject.account($0) }
        }
        guard let address = IPAddress(parsing: context.clientAddress), policy.accessNetwork(containing: address.unmappingIPv4) != nil else {
            return nil
        }
        return .address(ClientKey.key(for: context.clientAddress))
    }

    /// Drops counter buckets older than any window needs, at most once a minute per process.
    private func pruneIfDue(_ now: Date) async {
        let time = Self.epochSeconds(now)
        let due = lastPrune.withLockedValue { last -> Bool in
            guard time - last >= 60 || time < last else { return false }
            last = time
            return true
        }
        guard due else { return }
        let keep = max(Self.recipientWindow.windowSeconds, burst.lookbackSeconds, authWindow.windowSeconds) + 3600
        do {
            try await store.pruneCounters(startedBefore: time - keep)
        } catch {
            logger.error("cannot prune abuse counters", metadata: ["error": .string("\(error)")])
        }
    }

    static func epochSeconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    static func seconds(from start: Date, to end: Date) -> Int {
        max(0, Int(end.timeIntervalSince(start).rounded(.up)))
    }
}
