import Foundation

/// Shared state of the abuse controls: rate counters, temporary blocks, addresses an
/// account has logged in from, per-account limits and suspended accounts.
///
/// It lives in the directory database so that several server processes sharing one database
/// share the counters (a PostgreSQL directory can conform too). Every method takes the current
/// time from the caller, so the decisions built on it run on an injectable clock.
///
/// Account names are matched case-insensitively. Errors are ``DirectoryError`` values; a
/// storage failure is temporary (the server answers 4xx).
public protocol AbuseStore: Sendable {
    // MARK: Rate counters

    /// Adds `amount` to `counter` in the bucket holding `now`, unless `limit` is given and the
    /// window's total plus `amount` would exceed it. Check and addition are one transaction,
    /// so concurrent sessions (or processes) cannot both slip under the limit.
    func add(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow, limit: Int?) async throws -> CounterAdmission
    /// The counter's buckets starting after `after` (seconds since 1970), oldest first.
    func buckets(of counter: AbuseCounter, startingAfter after: Int) async throws -> [CounterBucket]
    /// Forgets a counter (`portcullis security unblock` clears the failures that caused a block).
    func resetCounter(_ counter: AbuseCounter) async throws
    /// Removes buckets that started before `before` (seconds since 1970); returns how many.
    @discardableResult
    func pruneCounters(startedBefore before: Int) async throws -> Int
    /// Adds `deltas` (per counter, the amount to add to each bucket start) with no limit, then
    /// reads the counters of `reading` back (per counter, buckets starting after the given
    /// instant), in one transaction where the backend has them: ``BufferedAbuseStore`` flushes
    /// its write-behind counters with this. Counters with no buckets are in the answer with
    /// an empty array.
    func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]],
                            reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]]

    // MARK: Blocks

    /// Blocks `subject` until `until`, replacing any block it had.
    func block(_ subject: AbuseSubject, until: Date, reason: String, at now: Date) async throws
    /// The block on `subject` still in force at `now`, if any.
    func activeBlock(on subject: AbuseSubject, at now: Date) async throws -> AbuseBlock?
    /// Every block in force at `now`, addresses first, then accounts.
    func activeBlocks(at now: Date) async throws -> [AbuseBlock]
    /// Lifts the block on `subject`; false when there was none.
    @discardableResult
    func unblock(_ subject: AbuseSubject) async throws -> Bool

    // MARK: Known login addresses

    /// Remembers that `account` logged in successfully from `client` (a lock does not stop
    /// logins from such addresses). Unknown accounts are ignored.
    func recordSuccessfulLogin(account: String, client: String, at now: Date) async throws
    /// Whether `account` has logged in successfully from `client` before.
    func hasLoggedIn(account: String, client: String) async throws -> Bool

    // MARK: Per-account limits

    /// Stores `limits` for an existing account (nil fields: the configured defaults).
    func setLimits(_ limits: AccountLimits, for account: String) async throws
    /// The account's overrides (``AccountLimits/none`` when it has none or does not exist).
    func limits(for account: String) async throws -> AccountLimits

    // MARK: Suspension

    /// Suspends an existing account's submission. Returns true when it was not suspended
    /// before (the caller then notifies the postmaster once).
    @discardableResult
    func suspend(_ account: String, reason: String, at now: Date) async throws -> Bool
    /// The account's suspension record, active or released; nil when it never was suspended.
    func suspension(of account: String) async throws -> AccountSuspension?
    /// Ends a suspension; false when the account was not suspended.
    @discardableResult
    func release(_ account: String, at now: Date) async throws -> Bool
    /// Accounts suspended now, by address.
    func suspendedAccounts() async throws -> [AccountSuspension]
}

extension AbuseStore {
    /// One call per counter, not atomic: enough for backends used by one process at a time.
    public func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]],
                                   reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]] {
        let farPast = SlidingWindow(windowSeconds: 1, bucketSeconds: 1)
        for (counter, buckets) in deltas {
            for bucket in buckets where bucket.amount != 0 {
                _ = try await add(bucket.amount, to: counter, at: Date(timeIntervalSince1970: TimeInterval(bucket.start)),
                                  window: farPast, limit: nil)
            }
        }
        var result: [AbuseCounter: [CounterBucket]] = [:]
        for (counter, after) in reading {
            result[counter] = try await buckets(of: counter, startingAfter: after)
        }
        return result
    }
}
