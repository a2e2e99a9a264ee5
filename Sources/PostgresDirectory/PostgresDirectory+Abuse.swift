import Directory
import Foundation
import Logging
import PostgresNIO

/// The abuse-control state in the same database as the directory, shared by every server.
///
/// Counters are upserts on (name, subject, bucket) rows (`INSERT … ON CONFLICT DO UPDATE`).
/// Under READ COMMITTED two transactions could both read a total under the limit and both add,
/// so ``add(_:to:at:window:limit:)`` first takes `pg_advisory_xact_lock` on its counter: the
/// check-and-add of one counter is serialised across servers, different counters proceed in
/// parallel, and the lock goes with the transaction. Batch upserts are written in key order so
/// that two servers flushing at once cannot deadlock.
extension PostgresDirectory: AbuseStore {
    // MARK: Rate counters

    public func add(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow, limit: Int?) async throws -> CounterAdmission {
        let time = Self.seconds(now)
        let bucket = window.bucket(containing: time)
        let after = window.countedAfter(now: time)
        let logger = queryLogger
        return try await inTransaction { connection in
            if limit != nil {
                try await Self.lockCounter(connection, counter, logger)
            }
            var buckets = try await Self.fetchBuckets(connection, counter, after: after, logger)
            if let limit, !window.admits(amount, limit: limit, buckets: buckets, now: time) {
                return CounterAdmission(admitted: false, buckets: buckets)
            }
            try await execute(connection, """
                INSERT INTO abuse_counters (name, subject, bucket, amount)
                VALUES (\(counter.name.rawValue), \(counter.subject.key), \(bucket), \(amount))
                ON CONFLICT (name, subject, bucket) DO UPDATE SET amount = abuse_counters.amount + excluded.amount
                """, logger)
            if let index = buckets.firstIndex(where: { $0.start == bucket }) {
                buckets[index].amount += amount
            } else {
                buckets.append(CounterBucket(start: bucket, amount: amount))
            }
            return CounterAdmission(admitted: true, buckets: buckets)
        }
    }

    public func buckets(of counter: AbuseCounter, startingAfter after: Int) async throws -> [CounterBucket] {
        let logger = queryLogger
        return try await withConnection { connection in try await Self.fetchBuckets(connection, counter, after: after, logger) }
    }

    public func resetCounter(_ counter: AbuseCounter) async throws {
        let logger = queryLogger
        _ = try await withConnection { connection in
            try await execute(connection,
                "DELETE FROM abuse_counters WHERE name = \(counter.name.rawValue) AND subject = \(counter.subject.key)",
                logger)
        }
    }

    @discardableResult
    public func pruneCounters(startedBefore before: Int) async throws -> Int {
        let logger = queryLogger
        return try await withConnection { connection in
            try await Self.changes(connection, "DELETE FROM abuse_counters WHERE bucket < \(before)", logger)
        }
    }

    public func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]],
                                   reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]] {
        // One row per key (ON CONFLICT may not touch a row twice in one statement), in key order.
        struct Key: Hashable, Comparable {
            let name: String, subject: String, bucket: Int
            static func < (a: Key, b: Key) -> Bool { (a.name, a.subject, a.bucket) < (b.name, b.subject, b.bucket) }
        }
        var sums: [Key: Int] = [:]
        for (counter, buckets) in deltas {
            for bucket in buckets where bucket.amount != 0 {
                sums[Key(name: counter.name.rawValue, subject: counter.subject.key, bucket: bucket.start), default: 0] += bucket.amount
            }
        }
        let keys = sums.keys.sorted()
        let names = keys.map(\.name), subjects = keys.map(\.subject), starts = keys.map(\.bucket)
        let amounts = keys.map { sums[$0]! }
        let logger = queryLogger
        return try await inTransaction { connection in
            if !keys.isEmpty {
                try await execute(connection, """
                    INSERT INTO abuse_counters (name, subject, bucket, amount)
                    SELECT * FROM unnest(\(names)::text[], \(subjects)::text[], \(starts)::bigint[], \(amounts)::bigint[])
                    ON CONFLICT (name, subject, bucket) DO UPDATE SET amount = abuse_counters.amount + excluded.amount
                    """, logger)
            }
            return try await Self.fetchBuckets(connection, reading, logger)
        }
    }

    // MARK: Blocks

    public func block(_ subject: AbuseSubject, until: Date, reason: String, at now: Date) async throws {
        let logger = queryLogger
        _ = try await withConnection { connection in
            try await execute(connection, """
                INSERT INTO abuse_blocks (subject, until, reason, created) VALUES (\(subject.key), \(until), \(reason), \(now))
                ON CONFLICT (subject) DO UPDATE SET until = excluded.until, reason = excluded.reason, created = excluded.created
                """, logger)
        }
    }

    public func activeBlock(on subject: AbuseSubject, at now: Date) async throws -> AbuseBlock? {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query(
                "SELECT subject, until, reason, created FROM abuse_blocks WHERE subject = \(subject.key) AND until > \(now)",
                logger: logger
            ).collect().compactMap(Self.block(from:)).first
        }
    }

    public func activeBlocks(at now: Date) async throws -> [AbuseBlock] {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query(
                "SELECT subject, until, reason, created FROM abuse_blocks WHERE until > \(now) ORDER BY subject", logger: logger
            ).collect().compactMap(Self.block(from:))
        }
    }

    @discardableResult
    public func unblock(_ subject: AbuseSubject) async throws -> Bool {
        let logger = queryLogger
        return try await withConnection { connection in
            try await Self.changes(connection, "DELETE FROM abuse_blocks WHERE subject = \(subject.key)", logger) > 0
        }
    }

    // MARK: Known login addresses

    /// At most this many addresses are remembered per account, as in ``SQLiteDirectory``.
    static let maximumRememberedLogins = 50

    public func recordSuccessfulLogin(account: String, client: String, at now: Date) async throws {
        guard let key = DirectoryAddress.lookup(account)?.key else { return }
        let logger = queryLogger
        try await inTransaction { connection in
            guard try await Self.accountExists(connection, key, logger) else { return }
            try await execute(connection, """
                INSERT INTO account_logins (address_key, client, last_success) VALUES (\(key), \(client), \(now))
                ON CONFLICT (address_key, client) DO UPDATE SET last_success = excluded.last_success
                """, logger)
            try await execute(connection, """
                DELETE FROM account_logins WHERE address_key = \(key) AND client NOT IN (
                    SELECT client FROM account_logins WHERE address_key = \(key)
                    ORDER BY last_success DESC LIMIT \(Self.maximumRememberedLogins))
                """, logger)
        }
    }

    public func hasLoggedIn(account: String, client: String) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { return false }
        let logger = queryLogger
        return try await withConnection { connection in
            try await Self.count(
                connection, "SELECT count(*) FROM account_logins WHERE address_key = \(key) AND client = \(client)", logger) > 0
        }
    }

    // MARK: Per-account limits

    public func setLimits(_ limits: AccountLimits, for account: String) async throws {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        for value in [limits.messagesPerHour, limits.recipientsPerDay] {
            if let value, value < 0 { throw DirectoryError.invalidLimit(value) }
        }
        let logger = queryLogger
        try await inTransaction { connection in
            guard try await Self.accountExists(connection, key, logger) else { throw DirectoryError.userNotFound(account) }
            if limits == .none {
                try await execute(connection, "DELETE FROM account_limits WHERE address_key = \(key)", logger)
                return
            }
            try await execute(connection, """
                INSERT INTO account_limits (address_key, messages_per_hour, recipients_per_day)
                VALUES (\(key), \(limits.messagesPerHour), \(limits.recipientsPerDay))
                ON CONFLICT (address_key) DO UPDATE SET
                    messages_per_hour = excluded.messages_per_hour, recipients_per_day = excluded.recipients_per_day
                """, logger)
        }
    }

    public func limits(for account: String) async throws -> AccountLimits {
        guard let key = DirectoryAddress.lookup(account)?.key else { return .none }
        let logger = queryLogger
        return try await withConnection { connection in
            guard let row = try await connection.query(
                "SELECT messages_per_hour, recipients_per_day FROM account_limits WHERE address_key = \(key)", logger: logger
            ).collect().first else { return .none }
            let (messages, recipients) = try row.decode((Int?, Int?).self)
            return AccountLimits(messagesPerHour: messages, recipientsPerDay: recipients)
        }
    }

    // MARK: Suspension

    @discardableResult
    public func suspend(_ account: String, reason: String, at now: Date) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        let logger = queryLogger
        return try await inTransaction { connection in
            guard try await Self.accountExists(connection, key, logger) else { throw DirectoryError.userNotFound(account) }
            // Only the server whose statement changes a row reports a new suspension, so the
            // postmaster is told once even when two servers trip the hold together.
            let changed = try await Self.changes(connection, """
                INSERT INTO account_suspensions (address_key, since, reason, released) VALUES (\(key), \(now), \(reason), NULL)
                ON CONFLICT (address_key) DO UPDATE SET since = excluded.since, reason = excluded.reason, released = NULL
                WHERE account_suspensions.released IS NOT NULL
                """, logger)
            return changed > 0
        }
    }

    public func suspension(of account: String) async throws -> AccountSuspension? {
        guard let key = DirectoryAddress.lookup(account)?.key else { return nil }
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query("""
                SELECT a.address, s.since, s.reason, s.released FROM account_suspensions s
                JOIN accounts a ON a.address_key = s.address_key WHERE s.address_key = \(key)
                """, logger: logger).collect().first.map(Self.suspension(from:))
        }
    }

    @discardableResult
    public func release(_ account: String, at now: Date) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        let logger = queryLogger
        return try await inTransaction { connection in
            guard try await Self.accountExists(connection, key, logger) else { throw DirectoryError.userNotFound(account) }
            return try await Self.changes(
                connection, "UPDATE account_suspensions SET released = \(now) WHERE address_key = \(key) AND released IS NULL",
                logger) > 0
        }
    }

    public func suspendedAccounts() async throws -> [AccountSuspension] {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query("""
                SELECT a.address, s.since, s.reason, s.released FROM account_suspensions s
                JOIN accounts a ON a.address_key = s.address_key WHERE s.released IS NULL ORDER BY s.address_key
                """, logger: logger).collect().map(Self.suspension(from:))
        }
    }

    // MARK: Helpers

    /// Whole seconds since 1970 (the counters' resolution).
    static func seconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    /// The advisory-lock class of counter locks: `pg_advisory_xact_lock(class, hash)`.
    static let counterLockClass: Int32 = 0x6162_7573  // "abus"

    /// Serialises check-and-add on one counter until the transaction ends. A hash collision
    /// only makes two counters wait for each other.
    static func lockCounter(_ connection: PostgresConnection, _ counter: AbuseCounter, _ logger: Logger) async throws {
        let identity = "\(counter.name.rawValue) \(counter.subject.key)"
        try await execute(connection, "SELECT pg_advisory_xact_lock(\(counterLockClass), hashtext(\(identity)))", logger)
    }

    static func fetchBuckets(_ connection: PostgresConnection, _ counter: AbuseCounter, after: Int, _ logger: Logger) async throws -> [CounterBucket] {
        try await connection.query("""
            SELECT bucket, amount FROM abuse_counters
            WHERE name = \(counter.name.rawValue) AND subject = \(counter.subject.key) AND bucket > \(after) ORDER BY bucket
            """, logger: logger).collect().map { row in
            let (start, amount) = try row.decode((Int, Int).self)
            return CounterBucket(start: start, amount: amount)
        }
    }

    /// The buckets of many counters: one query per counter name and horizon, the subjects as
    /// one array parameter.
    static func fetchBuckets(_ connection: PostgresConnection, _ reading: [AbuseCounter: Int], _ logger: Logger) async throws -> [AbuseCounter: [CounterBucket]] {
        var result: [AbuseCounter: [CounterBucket]] = [:]
        struct Group: Hashable { let name: AbuseCounter.Name; let after: Int }
        var groups: [Group: [AbuseSubject]] = [:]
        for (counter, after) in reading {
            result[counter] = []
            groups[Group(name: counter.name, after: after), default: []].append(counter.subject)
        }
        for (group, subjects) in groups {
            let bySubject = Dictionary(subjects.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let keys = Array(bySubject.keys)
            let rows = try await connection.query("""
                SELECT subject, bucket, amount FROM abuse_counters
                WHERE name = \(group.name.rawValue) AND bucket > \(group.after) AND subject = ANY(\(keys)::text[])
                ORDER BY subject, bucket
                """, logger: logger).collect()
            for row in rows {
                let (subjectKey, start, amount) = try row.decode((String, Int, Int).self)
                guard let subject = bySubject[subjectKey] else { continue }
                result[AbuseCounter(group.name, subject), default: []].append(CounterBucket(start: start, amount: amount))
            }
        }
        return result
    }

    private static func block(from row: PostgresRow) throws -> AbuseBlock? {
        let (key, until, reason, created) = try row.decode((String, Date, String, Date).self)
        guard let subject = AbuseSubject(key: key) else { return nil }
        return AbuseBlock(subject: subject, until: until, reason: reason, created: created)
    }

    private static func suspension(from row: PostgresRow) throws -> AccountSuspension {
        let (address, since, reason, released) = try row.decode((String, Date, String, Date?).self)
        return AccountSuspension(account: address, since: since, reason: reason, released: released)
    }
}
