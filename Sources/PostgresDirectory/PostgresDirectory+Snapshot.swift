import Directory
import Foundation
import Logging
import PostgresNIO

/// The whole database as a ``DirectorySnapshot``: `portcullis directory copy`.
///
/// Rows are written with one `INSERT … SELECT FROM unnest(arrays)` per table and batch, not one
/// statement per row: a directory of a hundred thousand accounts is a few dozen round trips.
/// postgres-nio binds no arrays with NULL elements, so a nullable column travels as a value
/// array plus a "has a value" array.
extension PostgresDirectory: DirectoryTransfer {
    /// The tables a snapshot covers (everything but `schema_version`).
    static let snapshotTables = "domains, accounts, aliases, op25b_exemptions, account_limits, account_suspensions, account_logins, abuse_blocks, abuse_counters, op25b_attempts, op25b_notices"
    /// Rows per INSERT statement.
    static let snapshotBatch = 2000

    package func exportSnapshot() async throws -> DirectorySnapshot {
        let logger = queryLogger
        return try await inTransaction(bounded: false) { connection in
            // One snapshot of every table, as SQLite's read transaction gives.
            try await execute(connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger)
            return try await Self.readSnapshot(connection, logger)
        }
    }

    package func importSnapshot(_ snapshot: DirectorySnapshot,
                                verify: @escaping @Sendable (DirectorySnapshot) throws -> Void) async throws {
        let logger = queryLogger
        let location = settings.description
        try await inTransaction(bounded: false) { connection in
            // Copying is no reason to change a schema: that stays `directory migrate`'s.
            let status = PostgresSchema.status(applied: try await PostgresSchema.appliedVersion(on: connection, logger: logger))
            guard status == .current else { throw PostgresSchemaMismatch(status: status, location: location) }
            // Keeps every other writer (a server already pointed here) out from the emptiness
            // check to the commit; readers go on.
            try await execute(connection, "LOCK TABLE \(unescaped: Self.snapshotTables) IN SHARE ROW EXCLUSIVE MODE", logger)
            let present = try await Self.contents(connection, logger)
            guard present.isEmpty else { throw DirectoryError.directoryNotEmpty(present) }
            try await Self.write(snapshot, to: connection, logger)
            try verify(try await Self.readSnapshot(connection, logger))
        }
    }

    private static func contents(_ connection: PostgresConnection, _ logger: Logger) async throws -> DirectoryContents {
        let row = try await connection.query("""
            SELECT (SELECT count(*) FROM domains), (SELECT count(*) FROM accounts), (SELECT count(*) FROM aliases),
                   (SELECT count(*) FROM op25b_exemptions), (SELECT count(*) FROM account_limits),
                   (SELECT count(*) FROM account_suspensions), (SELECT count(*) FROM account_logins),
                   (SELECT count(*) FROM abuse_blocks), (SELECT count(*) FROM abuse_counters),
                   (SELECT count(*) FROM op25b_attempts), (SELECT count(*) FROM op25b_notices)
            """, logger: logger).collect().first
        guard let row else { return DirectoryContents() }
        let (domains, accounts, aliases, exemptions, limits, suspensions, logins, blocks, counters, attempts, notices)
            = try row.decode((Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int).self)
        return DirectoryContents(domains: domains, accounts: accounts, aliases: aliases, exemptions: exemptions,
                                 accountLimits: limits, suspensions: suspensions, knownLogins: logins,
                                 blocks: blocks, counterBuckets: counters,
                                 op25bAttemptBuckets: attempts, op25bNotices: notices)
    }

    private static func readSnapshot(_ connection: PostgresConnection, _ logger: Logger) async throws -> DirectorySnapshot {
        var limits: [String: AccountLimits] = [:]
        for row in try await connection.query(
            "SELECT address_key, messages_per_hour, recipients_per_day FROM account_limits", logger: logger).collect() {
            let (key, messages, recipients) = try row.decode((String, Int?, Int?).self)
            limits[key] = AccountLimits(messagesPerHour: messages, recipientsPerDay: recipients)
        }
        var suspensions: [String: (since: Date, reason: String, released: Date?)] = [:]
        for row in try await connection.query(
            "SELECT address_key, since, reason, released FROM account_suspensions", logger: logger).collect() {
            let (key, since, reason, released) = try row.decode((String, Date, String, Date?).self)
            suspensions[key] = (since, reason, released)
        }
        var logins: [String: [DirectorySnapshot.KnownLogin]] = [:]
        for row in try await connection.query(
            "SELECT address_key, client, last_success FROM account_logins ORDER BY address_key, client", logger: logger).collect() {
            let (key, client, last) = try row.decode((String, String, Date).self)
            logins[key, default: []].append(.init(client: client, lastSuccess: last))
        }
        let accounts = try await connection.query(
            "SELECT address, address_key, domain, password_hash, enabled, created FROM accounts ORDER BY address_key", logger: logger
        ).collect().map { row in
            let (address, key, domain, hash, enabled, created) = try row.decode((String, String, String, String, Bool, Date).self)
            let account = Account(address: address, domain: domain, isEnabled: enabled, created: created)
            return DirectorySnapshot.StoredAccount(
                account: account, passwordHash: hash, limits: limits[key] ?? .none,
                suspension: suspensions[key].map { AccountSuspension(account: address, since: $0.since, reason: $0.reason, released: $0.released) },
                logins: logins[key] ?? [])
        }
        let domains = try await connection.query("SELECT name, kind, created FROM domains ORDER BY name", logger: logger)
            .collect().map { row in
                let (name, kind, created) = try row.decode((String, String, Date).self)
                return HostedDomain(name: name, kind: HostedDomain.Kind(rawValue: kind) ?? .virtual, created: created)
            }
        let aliases = try await connection.query(
            "SELECT alias, target, created FROM aliases ORDER BY alias_key, target_key", logger: logger
        ).collect().map { row in
            let (alias, target, created) = try row.decode((String, String, Date).self)
            return Alias(alias: alias, target: target, created: created)
        }
        let exemptions = try await connection.query(
            "SELECT prefix, reason, created, until FROM op25b_exemptions ORDER BY prefix", logger: logger
        ).collect().map { row in
            let (prefix, reason, created, until) = try row.decode((String, String, Date, Date?).self)
            return OP25BExemption(prefix: prefix, reason: reason, created: created, until: until)
        }
        let blocks = try await connection.query(
            "SELECT subject, until, reason, created FROM abuse_blocks ORDER BY subject", logger: logger
        ).collect().map { row in
            let (subject, until, reason, created) = try row.decode((String, Date, String, Date).self)
            return try DirectorySnapshot.storedBlock(subject: subject, until: until, reason: reason, created: created)
        }
        let counters = try await connection.query(
            "SELECT name, subject, bucket, amount FROM abuse_counters ORDER BY name, subject, bucket", logger: logger
        ).collect().map { row in
            let (name, subject, bucket, amount) = try row.decode((String, String, Int, Int).self)
            return try DirectorySnapshot.storedCounter(name: name, subject: subject, bucket: bucket, amount: amount)
        }
        let attempts = try await connection.query("""
            SELECT subscriber, destination, bucket, attempts, first_seen, last_seen FROM op25b_attempts
            ORDER BY subscriber, destination, bucket
            """, logger: logger).collect().map { row in
            let (subscriber, destination, bucket, count, first, last) = try row.decode((String, String, Int, Int, Int, Int).self)
            return try DirectorySnapshot.storedAttempt(subscriber: subscriber, destination: destination, bucket: bucket,
                                                       attempts: count, firstSeen: first, lastSeen: last)
        }
        let notices = try await connection.query(
            "SELECT subscriber, notified FROM op25b_notices ORDER BY subscriber", logger: logger
        ).collect().map { row in
            let (subscriber, notified) = try row.decode((String, Int).self)
            return try DirectorySnapshot.storedNotice(subscriber: subscriber, notified: notified)
        }
        return DirectorySnapshot(domains: domains, accounts: accounts, aliases: aliases, exemptions: exemptions,
                                 blocks: blocks, counters: counters, op25bAttempts: attempts, op25bNotices: notices)
    }

    private static func write(_ snapshot: DirectorySnapshot, to connection: PostgresConnection, _ logger: Logger) async throws {
        /// A placeholder in a value array where the "has a value" array says NULL.
        let noDate = Date(timeIntervalSince1970: 0)

        for batch in batches(snapshot.domains) {
            try await execute(connection, """
                INSERT INTO domains (name, kind, created)
                SELECT * FROM unnest(\(batch.map(\.name))::text[], \(batch.map(\.kind.rawValue))::text[],
                                     \(batch.map(\.created))::timestamptz[])
                """, logger)
        }

        struct AccountRow { let entry: DirectorySnapshot.StoredAccount; let key: String }
        let accounts = try snapshot.accounts.map { entry in
            AccountRow(entry: entry, key: try DirectorySnapshot.storedAddress(entry.account.address).key)
        }
        for batch in batches(accounts) {
            try await execute(connection, """
                INSERT INTO accounts (address, address_key, domain, password_hash, enabled, created)
                SELECT * FROM unnest(\(batch.map(\.entry.account.address))::text[], \(batch.map(\.key))::text[],
                                     \(batch.map(\.entry.account.domain))::text[], \(batch.map(\.entry.passwordHash))::text[],
                                     \(batch.map(\.entry.account.isEnabled))::boolean[], \(batch.map(\.entry.account.created))::timestamptz[])
                """, logger)
        }
        for batch in batches(accounts.filter { $0.entry.limits != .none }) {
            let messages = batch.map(\.entry.limits.messagesPerHour), recipients = batch.map(\.entry.limits.recipientsPerDay)
            try await execute(connection, """
                INSERT INTO account_limits (address_key, messages_per_hour, recipients_per_day)
                SELECT k, CASE WHEN hm THEN m END, CASE WHEN hr THEN r END
                FROM unnest(\(batch.map(\.key))::text[], \(messages.map { $0 != nil })::boolean[], \(messages.map { $0 ?? 0 })::bigint[],
                            \(recipients.map { $0 != nil })::boolean[], \(recipients.map { $0 ?? 0 })::bigint[]) AS t(k, hm, m, hr, r)
                """, logger)
        }
        struct HoldRow { let key: String; let hold: AccountSuspension }
        let holds = accounts.compactMap { row in row.entry.suspension.map { HoldRow(key: row.key, hold: $0) } }
        for batch in batches(holds) {
            try await execute(connection, """
                INSERT INTO account_suspensions (address_key, since, reason, released)
                SELECT k, s, r, CASE WHEN hd THEN d END
                FROM unnest(\(batch.map(\.key))::text[], \(batch.map(\.hold.since))::timestamptz[], \(batch.map(\.hold.reason))::text[],
                            \(batch.map { $0.hold.released != nil })::boolean[], \(batch.map { $0.hold.released ?? noDate })::timestamptz[])
                    AS t(k, s, r, hd, d)
                """, logger)
        }
        struct LoginRow { let key: String; let login: DirectorySnapshot.KnownLogin }
        let logins = accounts.flatMap { row in row.entry.logins.map { LoginRow(key: row.key, login: $0) } }
        for batch in batches(logins) {
            try await execute(connection, """
                INSERT INTO account_logins (address_key, client, last_success)
                SELECT * FROM unnest(\(batch.map(\.key))::text[], \(batch.map(\.login.client))::text[],
                                     \(batch.map(\.login.lastSuccess))::timestamptz[])
                """, logger)
        }

        struct AliasRow { let entry: Alias; let source: DirectoryAddress; let target: DirectoryAddress }
        let aliases = try snapshot.aliases.map { entry in
            AliasRow(entry: entry, source: try DirectorySnapshot.storedAddress(entry.alias),
                     target: try DirectorySnapshot.storedAddress(entry.target))
        }
        for batch in batches(aliases) {
            try await execute(connection, """
                INSERT INTO aliases (alias, alias_key, domain, target, target_key, created)
                SELECT * FROM unnest(\(batch.map(\.entry.alias))::text[], \(batch.map(\.source.key))::text[],
                                     \(batch.map(\.source.domain))::text[], \(batch.map(\.entry.target))::text[],
                                     \(batch.map(\.target.key))::text[], \(batch.map(\.entry.created))::timestamptz[])
                """, logger)
        }
        for batch in batches(snapshot.exemptions) {
            try await execute(connection, """
                INSERT INTO op25b_exemptions (prefix, reason, created, until)
                SELECT p, r, c, CASE WHEN hu THEN u END
                FROM unnest(\(batch.map(\.prefix))::text[], \(batch.map(\.reason))::text[], \(batch.map(\.created))::timestamptz[],
                            \(batch.map { $0.until != nil })::boolean[], \(batch.map { $0.until ?? noDate })::timestamptz[])
                    AS t(p, r, c, hu, u)
                """, logger)
        }
        for batch in batches(snapshot.blocks) {
            try await execute(connection, """
                INSERT INTO abuse_blocks (subject, until, reason, created)
                SELECT * FROM unnest(\(batch.map(\.subject.key))::text[], \(batch.map(\.until))::timestamptz[],
                                     \(batch.map(\.reason))::text[], \(batch.map(\.created))::timestamptz[])
                """, logger)
        }
        for batch in batches(snapshot.counters) {
            try await execute(connection, """
                INSERT INTO abuse_counters (name, subject, bucket, amount)
                SELECT * FROM unnest(\(batch.map(\.counter.name.rawValue))::text[], \(batch.map(\.counter.subject.key))::text[],
                                     \(batch.map(\.bucket.start))::bigint[], \(batch.map(\.bucket.amount))::bigint[])
                """, logger)
        }
        for batch in batches(snapshot.op25bAttempts) {
            try await execute(connection, """
                INSERT INTO op25b_attempts (subscriber, destination, bucket, attempts, first_seen, last_seen)
                SELECT * FROM unnest(\(batch.map(\.subscriber.description))::text[], \(batch.map(\.destination.description))::text[],
                                     \(batch.map(\.bucket))::bigint[], \(batch.map(\.attempts))::bigint[],
                                     \(batch.map(\.firstSeen))::bigint[], \(batch.map(\.lastSeen))::bigint[])
                """, logger)
        }
        for batch in batches(snapshot.op25bNotices) {
            try await execute(connection, """
                INSERT INTO op25b_notices (subscriber, notified)
                SELECT * FROM unnest(\(batch.map(\.subscriber.description))::text[], \(batch.map(\.notified))::bigint[])
                """, logger)
        }
    }

    /// `rows` in slices of ``snapshotBatch``, each an array to bind.
    private static func batches<Row>(_ rows: [Row]) -> [[Row]] {
        stride(from: 0, to: rows.count, by: snapshotBatch).map { Array(rows[$0..<min($0 + snapshotBatch, rows.count)]) }
    }
}
