import Foundation
import GRDB

/// The abuse-control state in the same SQLite file as the directory (migration "v2").
///
/// Counter updates are write transactions: SQLite serialises writers across processes (WAL,
/// busy timeout), so the check-and-add of ``add(_:to:at:window:limit:)`` is atomic for every
/// server sharing the file.
extension SQLiteDirectory: AbuseStore {
    // MARK: Rate counters

    public func add(_ amount: Int, to counter: AbuseCounter, at now: Date, window: SlidingWindow, limit: Int?) async throws -> CounterAdmission {
        let time = Self.seconds(now)
        let bucket = window.bucket(containing: time)
        let after = window.countedAfter(now: time)
        return try await storage {
            try await self.pool.write { db in
                var buckets = try Self.fetchBuckets(db, counter, after: after)
                if let limit, !window.admits(amount, limit: limit, buckets: buckets, now: time) {
                    return CounterAdmission(admitted: false, buckets: buckets)
                }
                try db.execute(
                    sql: """
                        INSERT INTO abuse_counters (name, subject, bucket, amount) VALUES (?, ?, ?, ?)
                        ON CONFLICT (name, subject, bucket) DO UPDATE SET amount = amount + excluded.amount
                        """,
                    arguments: [counter.name.rawValue, counter.subject.key, bucket, amount])
                if let index = buckets.firstIndex(where: { $0.start == bucket }) {
                    buckets[index].amount += amount
                } else {
                    buckets.append(CounterBucket(start: bucket, amount: amount))
                }
                return CounterAdmission(admitted: true, buckets: buckets)
            }
        }
    }

    public func buckets(of counter: AbuseCounter, startingAfter after: Int) async throws -> [CounterBucket] {
        try await storage { try await self.pool.read { db in try Self.fetchBuckets(db, counter, after: after) } }
    }

    public func resetCounter(_ counter: AbuseCounter) async throws {
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM abuse_counters WHERE name = ? AND subject = ?",
                               arguments: [counter.name.rawValue, counter.subject.key])
            }
        }
    }

    @discardableResult
    public func pruneCounters(startedBefore before: Int) async throws -> Int {
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM abuse_counters WHERE bucket < ?", arguments: [before])
                return db.changesCount
            }
        }
    }

    public func applyCounterDeltas(_ deltas: [AbuseCounter: [CounterBucket]],
                                   reading: [AbuseCounter: Int]) async throws -> [AbuseCounter: [CounterBucket]] {
        try await storage {
            try await self.pool.write { db in
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO abuse_counters (name, subject, bucket, amount) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name, subject, bucket) DO UPDATE SET amount = amount + excluded.amount
                    """)
                for (counter, buckets) in deltas {
                    for bucket in buckets where bucket.amount != 0 {
                        try upsert.execute(arguments: [counter.name.rawValue, counter.subject.key, bucket.start, bucket.amount])
                    }
                }
                return try Self.fetchBuckets(db, reading)
            }
        }
    }

    // MARK: Blocks

    public func block(_ subject: AbuseSubject, until: Date, reason: String, at now: Date) async throws {
        try await storage {
            try await self.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO abuse_blocks (subject, until, reason, created) VALUES (?, ?, ?, ?)
                        ON CONFLICT (subject) DO UPDATE SET until = excluded.until, reason = excluded.reason, created = excluded.created
                        """,
                    arguments: [subject.key, until, reason, now])
            }
        }
    }

    public func activeBlock(on subject: AbuseSubject, at now: Date) async throws -> AbuseBlock? {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM abuse_blocks WHERE subject = ? AND until > ?", arguments: [subject.key, now])
                    .flatMap(Self.block(from:))
            }
        }
    }

    public func activeBlocks(at now: Date) async throws -> [AbuseBlock] {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM abuse_blocks WHERE until > ? ORDER BY subject", arguments: [now])
                    .compactMap(Self.block(from:))
            }
        }
    }

    @discardableResult
    public func unblock(_ subject: AbuseSubject) async throws -> Bool {
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM abuse_blocks WHERE subject = ?", arguments: [subject.key])
                return db.changesCount > 0
            }
        }
    }

    // MARK: Known login addresses

    /// At most this many addresses are remembered per account (the most recent ones), so a
    /// roaming account cannot grow the table without bound.
    static let maximumRememberedLogins = 50

    public func recordSuccessfulLogin(account: String, client: String, at now: Date) async throws {
        guard let key = DirectoryAddress.lookup(account)?.key else { return }
        try await storage {
            try await self.pool.write { db in
                guard try Self.accountExists(db, key) else { return }
                try db.execute(
                    sql: """
                        INSERT INTO account_logins (address_key, client, last_success) VALUES (?, ?, ?)
                        ON CONFLICT (address_key, client) DO UPDATE SET last_success = excluded.last_success
                        """,
                    arguments: [key, client, now])
                try db.execute(
                    sql: """
                        DELETE FROM account_logins WHERE address_key = ? AND client NOT IN (
                            SELECT client FROM account_logins WHERE address_key = ? ORDER BY last_success DESC LIMIT ?)
                        """,
                    arguments: [key, key, Self.maximumRememberedLogins])
            }
        }
    }

    public func hasLoggedIn(account: String, client: String) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { return false }
        return try await storage {
            try await self.pool.read { db in
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM account_logins WHERE address_key = ? AND client = ?)",
                    arguments: [key, client]) ?? false
            }
        }
    }

    // MARK: Per-account limits

    public func setLimits(_ limits: AccountLimits, for account: String) async throws {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        for value in [limits.messagesPerHour, limits.recipientsPerDay] {
            if let value, value < 0 { throw DirectoryError.invalidLimit(value) }
        }
        try await storage {
            try await self.pool.write { db in
                guard try Self.accountExists(db, key) else { throw DirectoryError.userNotFound(account) }
                if limits == .none {
                    try db.execute(sql: "DELETE FROM account_limits WHERE address_key = ?", arguments: [key])
                    return
                }
                try db.execute(
                    sql: """
                        INSERT INTO account_limits (address_key, messages_per_hour, recipients_per_day) VALUES (?, ?, ?)
                        ON CONFLICT (address_key) DO UPDATE SET
                            messages_per_hour = excluded.messages_per_hour, recipients_per_day = excluded.recipients_per_day
                        """,
                    arguments: [key, limits.messagesPerHour, limits.recipientsPerDay])
            }
        }
    }

    public func limits(for account: String) async throws -> AccountLimits {
        guard let key = DirectoryAddress.lookup(account)?.key else { return .none }
        return try await storage {
            try await self.pool.read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM account_limits WHERE address_key = ?", arguments: [key]) else {
                    return .none
                }
                return AccountLimits(messagesPerHour: row["messages_per_hour"], recipientsPerDay: row["recipients_per_day"])
            }
        }
    }

    // MARK: Suspension

    @discardableResult
    public func suspend(_ account: String, reason: String, at now: Date) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        return try await storage {
            try await self.pool.write { db in
                guard try Self.accountExists(db, key) else { throw DirectoryError.userNotFound(account) }
                let active = try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM account_suspensions WHERE address_key = ? AND released IS NULL)",
                    arguments: [key]) ?? false
                if active { return false }
                try db.execute(
                    sql: """
                        INSERT INTO account_suspensions (address_key, since, reason, released) VALUES (?, ?, ?, NULL)
                        ON CONFLICT (address_key) DO UPDATE SET since = excluded.since, reason = excluded.reason, released = NULL
                        """,
                    arguments: [key, now, reason])
                return true
            }
        }
    }

    public func suspension(of account: String) async throws -> AccountSuspension? {
        guard let key = DirectoryAddress.lookup(account)?.key else { return nil }
        return try await storage {
            try await self.pool.read { db in
                try Row.fetchOne(
                    db, sql: """
                        SELECT s.*, a.address FROM account_suspensions s JOIN accounts a ON a.address_key = s.address_key
                        WHERE s.address_key = ?
                        """,
                    arguments: [key]).map(Self.suspension(from:))
            }
        }
    }

    @discardableResult
    public func release(_ account: String, at now: Date) async throws -> Bool {
        guard let key = DirectoryAddress.lookup(account)?.key else { throw DirectoryError.userNotFound(account) }
        return try await storage {
            try await self.pool.write { db in
                guard try Self.accountExists(db, key) else { throw DirectoryError.userNotFound(account) }
                try db.execute(sql: "UPDATE account_suspensions SET released = ? WHERE address_key = ? AND released IS NULL",
                               arguments: [now, key])
                return db.changesCount > 0
            }
        }
    }

    public func suspendedAccounts() async throws -> [AccountSuspension] {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(
                    db, sql: """
                        SELECT s.*, a.address FROM account_suspensions s JOIN accounts a ON a.address_key = s.address_key
                        WHERE s.released IS NULL ORDER BY s.address_key
                        """).map(Self.suspension(from:))
            }
        }
    }

    // MARK: Helpers

    /// Whole seconds since 1970 (the counters' resolution).
    static func seconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    private static func fetchBuckets(_ db: Database, _ counter: AbuseCounter, after: Int) throws -> [CounterBucket] {
        try Row.fetchAll(
            db, sql: "SELECT bucket, amount FROM abuse_counters WHERE name = ? AND subject = ? AND bucket > ? ORDER BY bucket",
            arguments: [counter.name.rawValue, counter.subject.key, after]
        ).map { CounterBucket(start: $0["bucket"], amount: $0["amount"]) }
    }

    /// Subjects per `IN (…)` query: well under SQLite's bound-parameter limit.
    private static let subjectsPerQuery = 400

    /// The buckets of many counters, grouped into one query per counter name, horizon and
    /// batch of subjects (a flush reads back every counter a server is using).
    private static func fetchBuckets(_ db: Database, _ reading: [AbuseCounter: Int]) throws -> [AbuseCounter: [CounterBucket]] {
        var result: [AbuseCounter: [CounterBucket]] = [:]
        struct Group: Hashable { let name: AbuseCounter.Name; let after: Int }
        var groups: [Group: [AbuseSubject]] = [:]
        for (counter, after) in reading {
            result[counter] = []
            groups[Group(name: counter.name, after: after), default: []].append(counter.subject)
        }
        for (group, subjects) in groups {
            for start in stride(from: 0, to: subjects.count, by: subjectsPerQuery) {
                let batch = subjects[start..<min(start + subjectsPerQuery, subjects.count)]
                let bySubject = Dictionary(batch.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
                let placeholders = Array(repeating: "?", count: bySubject.count).joined(separator: ", ")
                var arguments: StatementArguments = [group.name.rawValue, group.after]
                arguments += StatementArguments(Array(bySubject.keys))
                let rows = try Row.fetchCursor(
                    db, sql: """
                        SELECT subject, bucket, amount FROM abuse_counters
                        WHERE name = ? AND bucket > ? AND subject IN (\(placeholders)) ORDER BY subject, bucket
                        """,
                    arguments: arguments)
                while let row = try rows.next() {
                    guard let subject = bySubject[row["subject"]] else { continue }
                    result[AbuseCounter(group.name, subject), default: []].append(CounterBucket(start: row["bucket"], amount: row["amount"]))
                }
            }
        }
        return result
    }

    private static func accountExists(_ db: Database, _ key: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM accounts WHERE address_key = ?)", arguments: [key]) ?? false
    }

    private static func block(from row: Row) -> AbuseBlock? {
        guard let subject = AbuseSubject(key: row["subject"]) else { return nil }
        return AbuseBlock(subject: subject, until: row["until"], reason: row["reason"], created: row["created"])
    }

    private static func suspension(from row: Row) -> AccountSuspension {
        AccountSuspension(account: row["address"], since: row["since"], reason: row["reason"], released: row["released"])
    }
}
