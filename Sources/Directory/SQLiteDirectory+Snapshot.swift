import Foundation
import GRDB

/// The whole file as a ``DirectorySnapshot``: `portcullis directory copy`.
extension SQLiteDirectory: DirectoryTransfer {
    package func exportSnapshot() async throws -> DirectorySnapshot {
        // A read is one WAL snapshot: every table as of the same instant.
        try await storage { try await self.pool.read { db in try Self.readSnapshot(db) } }
    }

    package func importSnapshot(_ snapshot: DirectorySnapshot,
                                verify: @escaping @Sendable (DirectorySnapshot) throws -> Void) async throws {
        try await storage {
            // BEGIN IMMEDIATE: the write lock from the emptiness check to the commit, so no
            // other process writes in between; any error rolls the whole copy back.
            try await self.pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let present = try Self.contents(db)
                    guard present.isEmpty else { throw DirectoryError.directoryNotEmpty(present) }
                    try Self.write(snapshot, to: db)
                    try verify(try Self.readSnapshot(db))
                    return .commit
                }
            }
        }
    }

    private static func contents(_ db: Database) throws -> DirectoryContents {
        func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
        return DirectoryContents(
            domains: try count("domains"), accounts: try count("accounts"), aliases: try count("aliases"),
            exemptions: try count("op25b_exemptions"), accountLimits: try count("account_limits"),
            suspensions: try count("account_suspensions"), knownLogins: try count("account_logins"),
            blocks: try count("abuse_blocks"), counterBuckets: try count("abuse_counters"),
            op25bAttemptBuckets: try count("op25b_attempts"), op25bNotices: try count("op25b_notices"))
    }

    private static func readSnapshot(_ db: Database) throws -> DirectorySnapshot {
        var limits: [String: AccountLimits] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT address_key, messages_per_hour, recipients_per_day FROM account_limits") {
            limits[row["address_key"]] = AccountLimits(messagesPerHour: row["messages_per_hour"], recipientsPerDay: row["recipients_per_day"])
        }
        var suspensions: [String: (since: Date, reason: String, released: Date?)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT address_key, since, reason, released FROM account_suspensions") {
            suspensions[row["address_key"]] = (row["since"], row["reason"], row["released"])
        }
        var logins: [String: [DirectorySnapshot.KnownLogin]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT address_key, client, last_success FROM account_logins ORDER BY address_key, client") {
            logins[row["address_key"], default: []].append(.init(client: row["client"], lastSuccess: row["last_success"]))
        }
        let accounts = try Row.fetchAll(
            db, sql: "SELECT address, address_key, domain, password_hash, enabled, created FROM accounts ORDER BY address_key"
        ).map { row in
            let key: String = row["address_key"]
            let account = Account(address: row["address"], domain: row["domain"], isEnabled: row["enabled"], created: row["created"])
            return DirectorySnapshot.StoredAccount(
                account: account, passwordHash: row["password_hash"], limits: limits[key] ?? .none,
                suspension: suspensions[key].map { AccountSuspension(account: account.address, since: $0.since, reason: $0.reason, released: $0.released) },
                logins: logins[key] ?? [])
        }
        let domains = try Row.fetchAll(db, sql: "SELECT name, kind, created FROM domains ORDER BY name").map { row in
            HostedDomain(name: row["name"], kind: HostedDomain.Kind(rawValue: row["kind"]) ?? .virtual, created: row["created"])
        }
        let aliases = try Row.fetchAll(db, sql: "SELECT alias, target, created FROM aliases ORDER BY alias_key, target_key").map {
            Alias(alias: $0["alias"], target: $0["target"], created: $0["created"])
        }
        let exemptions = try Row.fetchAll(db, sql: "SELECT prefix, reason, created, until FROM op25b_exemptions ORDER BY prefix").map {
            OP25BExemption(prefix: $0["prefix"], reason: $0["reason"], created: $0["created"], until: $0["until"])
        }
        let blocks = try Row.fetchAll(db, sql: "SELECT subject, until, reason, created FROM abuse_blocks ORDER BY subject").map {
            try DirectorySnapshot.storedBlock(subject: $0["subject"], until: $0["until"], reason: $0["reason"], created: $0["created"])
        }
        let counters = try Row.fetchAll(
            db, sql: "SELECT name, subject, bucket, amount FROM abuse_counters ORDER BY name, subject, bucket"
        ).map {
            try DirectorySnapshot.storedCounter(name: $0["name"], subject: $0["subject"], bucket: $0["bucket"], amount: $0["amount"])
        }
        let attempts = try Row.fetchAll(db, sql: """
            SELECT subscriber, destination, bucket, attempts, first_seen, last_seen FROM op25b_attempts
            ORDER BY subscriber, destination, bucket
            """).map {
            try DirectorySnapshot.storedAttempt(subscriber: $0["subscriber"], destination: $0["destination"], bucket: $0["bucket"],
                                                attempts: $0["attempts"], firstSeen: $0["first_seen"], lastSeen: $0["last_seen"])
        }
        let notices = try Row.fetchAll(db, sql: "SELECT subscriber, notified FROM op25b_notices ORDER BY subscriber").map {
            try DirectorySnapshot.storedNotice(subscriber: $0["subscriber"], notified: $0["notified"])
        }
        return DirectorySnapshot(domains: domains, accounts: accounts, aliases: aliases, exemptions: exemptions,
                                 blocks: blocks, counters: counters, op25bAttempts: attempts, op25bNotices: notices)
    }

    private static func write(_ snapshot: DirectorySnapshot, to db: Database) throws {
        let domain = try db.makeStatement(sql: "INSERT INTO domains (name, kind, created) VALUES (?, ?, ?)")
        for entry in snapshot.domains {
            try domain.execute(arguments: [entry.name, entry.kind.rawValue, entry.created])
        }
        let account = try db.makeStatement(sql: """
            INSERT INTO accounts (address, address_key, domain, password_hash, enabled, created) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let limits = try db.makeStatement(sql: """
            INSERT INTO account_limits (address_key, messages_per_hour, recipients_per_day) VALUES (?, ?, ?)
            """)
        let suspension = try db.makeStatement(sql: """
            INSERT INTO account_suspensions (address_key, since, reason, released) VALUES (?, ?, ?, ?)
            """)
        let login = try db.makeStatement(sql: "INSERT INTO account_logins (address_key, client, last_success) VALUES (?, ?, ?)")
        for entry in snapshot.accounts {
            let address = try DirectorySnapshot.storedAddress(entry.account.address)
            try account.execute(arguments: [entry.account.address, address.key, entry.account.domain, entry.passwordHash,
                                            entry.account.isEnabled, entry.account.created])
            if entry.limits != .none {
                try limits.execute(arguments: [address.key, entry.limits.messagesPerHour, entry.limits.recipientsPerDay])
            }
            if let hold = entry.suspension {
                try suspension.execute(arguments: [address.key, hold.since, hold.reason, hold.released])
            }
            for known in entry.logins {
                try login.execute(arguments: [address.key, known.client, known.lastSuccess])
            }
        }
        let alias = try db.makeStatement(sql: """
            INSERT INTO aliases (alias, alias_key, domain, target, target_key, created) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for entry in snapshot.aliases {
            let source = try DirectorySnapshot.storedAddress(entry.alias)
            let target = try DirectorySnapshot.storedAddress(entry.target)
            try alias.execute(arguments: [entry.alias, source.key, source.domain, entry.target, target.key, entry.created])
        }
        let exemption = try db.makeStatement(sql: "INSERT INTO op25b_exemptions (prefix, reason, created, until) VALUES (?, ?, ?, ?)")
        for entry in snapshot.exemptions {
            try exemption.execute(arguments: [entry.prefix, entry.reason, entry.created, entry.until])
        }
        let block = try db.makeStatement(sql: "INSERT INTO abuse_blocks (subject, until, reason, created) VALUES (?, ?, ?, ?)")
        for entry in snapshot.blocks {
            try block.execute(arguments: [entry.subject.key, entry.until, entry.reason, entry.created])
        }
        let counter = try db.makeStatement(sql: "INSERT INTO abuse_counters (name, subject, bucket, amount) VALUES (?, ?, ?, ?)")
        for entry in snapshot.counters {
            try counter.execute(arguments: [entry.counter.name.rawValue, entry.counter.subject.key, entry.bucket.start, entry.bucket.amount])
        }
        let attempt = try db.makeStatement(sql: """
            INSERT INTO op25b_attempts (subscriber, destination, bucket, attempts, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for entry in snapshot.op25bAttempts {
            try attempt.execute(arguments: [entry.subscriber.description, entry.destination.description, entry.bucket,
                                            entry.attempts, entry.firstSeen, entry.lastSeen])
        }
        let notice = try db.makeStatement(sql: "INSERT INTO op25b_notices (subscriber, notified) VALUES (?, ?)")
        for entry in snapshot.op25bNotices {
            try notice.execute(arguments: [entry.subscriber.description, entry.notified])
        }
    }
}
