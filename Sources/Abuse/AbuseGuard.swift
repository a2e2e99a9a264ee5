import Directory
import Foundation
import Instruments
import Logging
import Policy
import SMTPCore
import Synchronization

/// The abuse controls, as decisions a session asks for: connection admission, AUTH gating and
/// failure counting, sender and recipient rate limits, and the compromised-account hold.
///
/// All state is in the ``AbuseStore`` (the directory database), so several servers sharing one
/// database share it; the time comes from an ``AbuseClock``. Each decision is one rule of
/// ``AbuseRules`` applied to an ``AbuseSnapshot`` fetched once: from memory when the store is a
/// ``BufferedAbuseStore`` holding everything the step reads (an immediate ``Decision``), else by
/// one load from the store (a deferred one). What a rule decides is then carried out here:
/// replies, log lines, and the suspension a burst calls for.
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

    /// The rules this guard applies now (each decision takes them once).
    public var rules: AbuseRules { currentRules.withLock { $0 } }
    private let currentRules: Mutex<AbuseRules>
    private let store: any AbuseStore
    /// The store again when it keeps counters and answers in memory: immediate decisions.
    private let buffer: BufferedAbuseStore?
    private let clock: AbuseClock
    private let notifier: SuspensionNotifier?
    private let logger: Logger
    private let lastPrune = Mutex<Int>(0)
    private let instruments: AbuseInstruments

    /// Creates the guard.
    ///
    /// - Parameters:
    ///   - store: where counters and blocks live (the directory, or a buffer in front of it).
    ///   - policy: the access networks (port-25 relay clients are counted by address).
    ///   - notifier: tells the postmaster about held accounts; nil sends no notice.
    ///   - instruments: counts each limit enforced, block, lock and hold where it is decided.
    public init(store: any AbuseStore, settings: AbuseSettings, policy: OP25BPolicy,
                clock: AbuseClock = .system, notifier: SuspensionNotifier? = nil,
                instruments: AbuseInstruments = PortcullisInstruments.disabled.abuse, logger: Logger) {
        self.instruments = instruments
        self.store = store
        self.buffer = store as? BufferedAbuseStore
        self.currentRules = Mutex(AbuseRules(settings: settings, policy: policy))
        self.clock = clock
        self.notifier = notifier
        self.logger = logger
    }

    /// Applies new `[abuse]` numbers and access networks (`portcullis reload`) to the decisions
    /// that start from now on; the counters and blocks already stored keep counting.
    public func update(settings: AbuseSettings, policy: OP25BPolicy) {
        currentRules.withLock { $0 = AbuseRules(settings: settings, policy: policy) }
    }

    /// The current time of the guard's clock.
    public var now: Date { clock.now() }

    /// The snapshot of `query`: from memory when all of it is there, else loaded.
    private func snapshot(_ query: AbuseQuery) -> Decision<AbuseSnapshot> {
        if let buffer, let snapshot = query.snapshot(in: buffer) { return .immediate(snapshot) }
        let store = self.store
        return .deferred { try await query.load(from: store) }
    }

    // MARK: Connections

    /// Decides on a new connection: nil to greet it, or the 421 to send before closing.
    ///
    /// A storage failure lets the client in (and is logged): refusing every connection because
    /// the database hiccups would be worse.
    public func admitConnection(client: String, service: ServiceKind) -> Decision<Reply?> {
        let now = clock.now()
        let key = ClientKey.key(for: client)
        let rules = self.rules
        let query = AbuseQuery(now: now, block: service.refusesBlockedAddresses ? .address(key) : nil,
                               counters: { rules.connectionCounters(client: key, $0) })
        // Pruning is housekeeping: it must not hold up the greeting.
        if claimPrune(now) { Task { await self.prune(now) } }
        let logger = self.logger
        let instruments = self.instruments
        return snapshot(query).map { snapshot -> Reply? in
            switch rules.connection(snapshot) {
            case .admitted: return nil
            case .blocked(let seconds): return Reply.clientBlocked(retryAfterSeconds: seconds)
            case .rateExceeded(let limit, let seconds):
                instruments.record(.rateLimited)
                return Reply.connectionRateExceeded(limit: limit, retryAfterSeconds: seconds)
            }
        }.recover { error in
            logger.error("abuse store failure at connect; admitting", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
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
        let rules = self.rules
        let settings = rules.settings
        guard settings.authFailureLimit > 0 else { return }
        let now = clock.now()
        for subject in [AbuseSubject.address(ClientKey.key(for: client)), .account(username)] {
            let admission = try await store.add(1, to: AbuseCounter(.authFailures, subject), at: now, window: rules.authWindow, limit: nil)
            let (failures, reachesLimit) = rules.authFailures(admission.buckets, now: now)
            guard reachesLimit else { continue }
            let until = now.addingTimeInterval(TimeInterval(settings.authLockoutSeconds))
            let minutes = max(1, settings.authFailureWindowSeconds / 60)
            try await store.block(subject, until: until, reason: "\(failures) failed logins in \(minutes) minutes", at: now)
            instruments.record(subject.kind == .address ? .addressBlocked : .accountLocked)
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
    public func checkSender(context: AbuseContext) -> Decision<Reply?> {
        let rules = self.rules
        guard let subject = rules.rateSubject(context) else { return .immediate(nil) }
        let account = subject.kind == .account ? context.authenticatedAccount : nil
        let logger = self.logger
        let instruments = self.instruments
        let query = AbuseQuery(now: clock.now(), limitsOf: account, suspensionOf: account,
                               counters: { rules.senderCounters(subject, $0) })
        return snapshot(query).map { snapshot -> Reply? in
            switch rules.sender(snapshot) {
            case .proceed: return nil
            case .suspended: return Reply.accountSuspended
            case .rateExceeded(let limit, let seconds):
                instruments.record(.rateLimited)
                logger.notice("message rate limit", metadata: ["subject": .stringConvertible(LoggedText(subject.value)), "limit": .stringConvertible(limit)])
                return Reply.messageRateExceeded(limit: limit, retryAfterSeconds: seconds)
            }
        }
    }

    /// Decides on a valid recipient: counts it against the daily allowance (452 4.5.3 past
    /// it), then runs the compromised-account test; a burst suspends the account (its mail is
    /// held from now on) and notifies the postmaster once. The recipient that trips the hold is
    /// still accepted: the client is not told, its message is held.
    ///
    /// Counted once, in memory or in the load; a burst found in memory is written through
    /// (deferred), after the recipient was counted.
    public func admitRecipient(context: AbuseContext) -> Decision<RecipientVerdict> {
        let rules = self.rules
        guard let subject = rules.rateSubject(context) else { return .immediate(.accepted) }
        let account = subject.kind == .account ? context.authenticatedAccount : nil
        let logger = self.logger
        let instruments = self.instruments
        let query = AbuseQuery(now: clock.now(), limitsOf: account, suspensionOf: account,
                               counters: { rules.recipientCounters(subject, $0) })
        let client = context.clientAddress
        return snapshot(query).flatMap { snapshot -> Decision<RecipientVerdict> in
            switch rules.recipient(subject, snapshot) {
            case .accepted:
                return .immediate(.accepted)
            case .rateExceeded(let limit, let seconds):
                instruments.record(.rateLimited)
                logger.notice("recipient rate limit", metadata: ["subject": .stringConvertible(LoggedText(subject.value)), "limit": .stringConvertible(limit)])
                return .immediate(.refused(Reply.recipientRateExceeded(limit: limit, retryAfterSeconds: seconds)))
            case .burst(let evaluation):
                guard let account else { return .immediate(.accepted) }
                return .deferred {
                    try await self.suspendForBurst(account: account, evaluation: evaluation, now: snapshot.now, client: client)
                    return .accepted
                }
            }
        }
    }

    /// Whether a message about to be committed must be held (its account is suspended).
    public func mustHold(context: AbuseContext) -> Decision<Bool> {
        guard context.followsSubmissionRules, let account = context.authenticatedAccount else { return .immediate(false) }
        let rules = self.rules
        return snapshot(AbuseQuery(now: clock.now(), suspensionOf: account)).map { rules.mustHold($0) }
    }

    /// Counts a queued message against the hourly allowance.
    public func messageQueued(context: AbuseContext) -> Decision<Void> {
        let rules = self.rules
        guard let subject = rules.rateSubject(context) else { return .immediate(()) }
        return snapshot(AbuseQuery(now: clock.now(), counters: { _ in rules.queuedCounters(subject) })).map { _ in () }
    }

    // MARK: Helpers

    /// Suspends the account for a burst, logs it and tells the postmaster once.
    private func suspendForBurst(account: String, evaluation: BurstRule.Evaluation, now: Date, client: String) async throws {
        let minutes = max(1, rules.burst.windowSeconds / 60)
        let reason = "\(evaluation.recent) recipients in \(minutes) minutes (limit \(evaluation.threshold))"
        guard try await store.suspend(account, reason: reason, at: now) else { return }
        instruments.record(.accountHeld)
        logger.warning("account suspended: sending burst", metadata: [
            "account": .string(account), "recent": .stringConvertible(evaluation.recent),
            "threshold": .stringConvertible(evaluation.threshold), "client": .string(client),
        ])
        guard let notifier else { return }
        do {
            let id = try await notifier.notify(.init(account: account, clientAddress: client, evaluation: evaluation,
                                                     windowSeconds: rules.burst.windowSeconds, date: now))
            logger.notice("postmaster notified of held account", metadata: ["account": .string(account), "queue_id": .string(id.description)])
        } catch {
            logger.error("cannot spool the postmaster notice", metadata: ["account": .string(account), "error": .stringConvertible(LoggedText(describing: error))])
        }
    }

    /// Whether it is time to drop old counter buckets (at most once a minute per process); true
    /// claims the job.
    private func claimPrune(_ now: Date) -> Bool {
        let time = AbuseRules.epochSeconds(now)
        return lastPrune.withLock { last -> Bool in
            guard time - last >= 60 || time < last else { return false }
            last = time
            return true
        }
    }

    /// Drops counter buckets older than any window needs.
    private func prune(_ now: Date) async {
        let time = AbuseRules.epochSeconds(now)
        let keep = max(AbuseRules.recipientWindow.windowSeconds, rules.burst.lookbackSeconds, rules.authWindow.windowSeconds) + 3600
        do {
            try await store.pruneCounters(startedBefore: time - keep)
        } catch {
            logger.error("cannot prune abuse counters", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        }
    }
}
