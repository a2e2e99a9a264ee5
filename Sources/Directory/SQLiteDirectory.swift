import BlockingWork
import Foundation
import GRDB

/// The account directory in an SQLite file (GRDB `DatabasePool`, WAL mode).
///
/// WAL lets the server's many readers (RCPT look-ups, AUTH) proceed while the command line
/// writes. The file is created with mode 0600 because it holds password hashes. Password
/// hashing runs on a ``BlockingWorkPool``; database access runs on GRDB's own queues; so no
/// method blocks its caller's thread.
public final class SQLiteDirectory: AccountDirectory {
    /// Alias chains longer than this stop resolution with ``DirectoryError/aliasChainTooDeep(_:limit:)``.
    public static let defaultMaximumAliasDepth = 8

    let pool: DatabasePool
    private let hasher: any PasswordHashing
    private let workPool: BlockingWorkPool
    private let maximumAliasDepth: Int
    /// A hash of a random password, verified for unknown users so they take as long as known ones.
    private let dummyHash: String

    /// Opens (creating if needed) the directory at `path` and applies pending migrations.
    ///
    /// - Parameters:
    ///   - path: the SQLite file; its directory must exist.
    ///   - hasher: makes and checks password hashes (libxcrypt yescrypt by default).
    ///   - workPool: where hashing runs; ``BlockingWorkPool/shared`` by default.
    ///   - maximumAliasDepth: how many alias levels ``resolveRecipient(_:)`` follows.
    public init(
        path: String,
        hasher: any PasswordHashing = PasswordHasher(),
        workPool: BlockingWorkPool? = nil,
        maximumAliasDepth: Int = SQLiteDirectory.defaultMaximumAliasDepth
    ) throws {
        // Create the file ourselves so it is never world-readable, even for an instant;
        // SQLite gives the -wal and -shm files the same mode as the database file.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DirectoryError.storageFailure("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Several processes (server and command line) share the file: wait rather than fail.
        configuration.busyMode = .timeout(10)
        configuration.label = "portcullis.directory"
        // WAL with synchronous=NORMAL: every commit is atomic and survives a process crash; only
        // a power loss can drop the last commits (SQLite docs, "WAL mode"). That suits what lives
        // here — accounts changed by an operator who can re-run the command, and rate counters
        // written on every SMTP transaction, where an fsync per write would cap the server.
        // Mail itself is made durable by the spool, never by this database.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw DirectoryError.storageFailure("cannot open \(path): \(error.message ?? error.description)")
        }
        self.hasher = hasher
        self.workPool = workPool ?? .shared
        self.maximumAliasDepth = max(1, maximumAliasDepth)
        // 24 random bytes, hex: the value does not matter, only that nobody knows it.
        let secret = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.dummyHash = try hasher.hash(Password(secret))
    }

    /// The names of the migrations applied to the file, in order.
    public func appliedMigrations() async throws -> [String] {
        try await storage { try await self.pool.read { db in try Self.migrator.appliedMigrations(db) } }
    }

    // MARK: Domains

    @discardableResult
    public func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain {
        let normalised = try DomainName.normalise(name)
        let domain = HostedDomain(name: normalised, kind: kind, created: Self.now())
        return try await storage {
            try await self.pool.write { db in
                guard try Self.domainExists(db, normalised) == false else {
                    throw DirectoryError.domainAlreadyHosted(normalised)
                }
                try db.execute(
                    sql: "INSERT INTO domains (name, kind, created) VALUES (?, ?, ?)",
                    arguments: [domain.name, domain.kind.rawValue, domain.created])
                return domain
            }
        }
    }

    public func removeDomain(_ name: String) async throws {
        let normalised = name.lowercased()
        try await storage {
            try await self.pool.write { db in
                guard try Self.domainExists(db, normalised) else {
                    throw DirectoryError.domainNotHosted(normalised)
                }
                let accounts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts WHERE domain = ?", arguments: [normalised]) ?? 0
                let aliases = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM aliases WHERE domain = ?", arguments: [normalised]) ?? 0
                guard accounts == 0, aliases == 0 else {
                    throw DirectoryError.domainInUse(normalised, accounts: accounts, aliases: aliases)
                }
                try db.execute(sql: "DELETE FROM domains WHERE name = ?", arguments: [normalised])
            }
        }
    }

    public func listDomains() async throws -> [HostedDomain] {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT name, kind, created FROM domains ORDER BY name").map { row in
                    HostedDomain(
                        name: row["name"],
                        kind: HostedDomain.Kind(rawValue: row["kind"]) ?? .virtual,
                        created: row["created"])
                }
            }
        }
    }

    public func isHostedDomain(_ name: String) async throws -> Bool {
        let key = name.lowercased()
        return try await storage { try await self.pool.read { db in try Self.domainExists(db, key) } }
    }

    // MARK: Accounts

    @discardableResult
    public func addUser(_ address: String, password: Password) async throws -> Account {
        let parsed = try DirectoryAddress.parseForStorage(address)
        return try await insertUser(parsed, hash: NewAccountHash.hashing(password, with: hasher, on: workPool))
    }

    @discardableResult
    public func addUser(_ address: String, passwordHash: String) async throws -> Account {
        let parsed = try DirectoryAddress.parseForStorage(address)
        return try await insertUser(parsed, hash: NewAccountHash.imported(passwordHash, for: parsed, hasher: hasher))
    }

    private func insertUser(_ address: DirectoryAddress, hash: String) async throws -> Account {
        let account = Account(address: address.display, domain: address.domain, isEnabled: true, created: Self.now())
        return try await storage {
            try await self.pool.write { db in
                guard try Self.domainExists(db, address.domain) else {
                    throw DirectoryError.domainNotHosted(address.domain)
                }
                guard try Self.accountRow(db, key: address.key) == nil else {
                    throw DirectoryError.userAlreadyExists(address.display)
                }
                guard try Self.aliasTargets(db, aliasKey: address.key).isEmpty else {
                    throw DirectoryError.addressIsAlias(address.display)
                }
                try db.execute(
                    sql: """
                        INSERT INTO accounts (address, address_key, domain, password_hash, enabled, created)
                        VALUES (?, ?, ?, ?, 1, ?)
                        """,
                    arguments: [account.address, address.key, account.domain, hash, account.created])
                return account
            }
        }
    }

    public func user(_ address: String) async throws -> Account? {
        guard let key = DirectoryAddress.lookup(address)?.key else { return nil }
        return try await storage { try await self.pool.read { db in try Self.accountRow(db, key: key)?.account } }
    }

    public func listUsers(domain: String?) async throws -> [Account] {
        try await storage {
            try await self.pool.read { db in
                let rows: [Row]
                if let domain {
                    rows = try Row.fetchAll(
                        db, sql: "SELECT * FROM accounts WHERE domain = ? ORDER BY address_key",
                        arguments: [domain.lowercased()])
                } else {
                    rows = try Row.fetchAll(db, sql: "SELECT * FROM accounts ORDER BY domain, address_key")
                }
                return rows.map { AccountRow(row: $0).account }
            }
        }
    }

    public func setPassword(_ address: String, password: Password) async throws {
        let key = try lookupKey(address)
        let hasher = self.hasher
        let hash = try await workPool.run { try hasher.hash(password) }
        try await updateAccount(address, key: key, sql: "UPDATE accounts SET password_hash = ? WHERE address_key = ?", arguments: [hash, key])
    }

    public func disableUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, key: key, sql: "UPDATE accounts SET enabled = 0 WHERE address_key = ?", arguments: [key])
    }

    public func enableUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, key: key, sql: "UPDATE accounts SET enabled = 1 WHERE address_key = ?", arguments: [key])
    }

    public func removeUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, key: key, sql: "DELETE FROM accounts WHERE address_key = ?", arguments: [key])
    }

    private func lookupKey(_ address: String) throws -> String {
        guard let key = DirectoryAddress.lookup(address)?.key else { throw DirectoryError.userNotFound(address) }
        return key
    }

    /// Runs one statement on an account and turns "no row changed" into ``DirectoryError/userNotFound(_:)``.
    private func updateAccount(_ address: String, key: String, sql: String, arguments: StatementArguments) async throws {
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: sql, arguments: arguments)
                guard db.changesCount > 0 else { throw DirectoryError.userNotFound(address) }
            }
        }
    }

    // MARK: Aliases

    @discardableResult
    public func addAlias(_ alias: String, target: String) async throws -> Alias {
        let source = try DirectoryAddress.parseForStorage(alias)
        let destination = try DirectoryAddress.parseForStorage(target)
        guard source.key != destination.key else {
            throw DirectoryError.invalidAddress(target, reason: "an alias cannot point at itself")
        }
        let entry = Alias(alias: source.display, target: destination.display, created: Self.now())
        return try await storage {
            try await self.pool.write { db in
                guard try Self.domainExists(db, source.domain) else {
                    throw DirectoryError.domainNotHosted(source.domain)
                }
                guard try Self.accountRow(db, key: source.key) == nil else {
                    throw DirectoryError.addressIsUser(source.display)
                }
                let existing = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM aliases WHERE alias_key = ? AND target_key = ?",
                    arguments: [source.key, destination.key]) ?? 0
                guard existing == 0 else {
                    throw DirectoryError.aliasAlreadyExists(alias: source.display, target: destination.display)
                }
                try db.execute(
                    sql: """
                        INSERT INTO aliases (alias, alias_key, domain, target, target_key, created)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [entry.alias, source.key, source.domain, entry.target, destination.key, entry.created])
                return entry
            }
        }
    }

    public func listAliases() async throws -> [Alias] {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT alias, target, created FROM aliases ORDER BY alias_key, target_key").map {
                    Alias(alias: $0["alias"], target: $0["target"], created: $0["created"])
                }
            }
        }
    }

    public func removeAlias(_ alias: String, target: String?) async throws {
        guard let aliasKey = DirectoryAddress.lookup(alias)?.key else {
            throw DirectoryError.aliasNotFound(alias, target: target)
        }
        let targetKey = target.map { DirectoryAddress.lookup($0)?.key ?? $0.lowercased() }
        try await storage {
            try await self.pool.write { db in
                if let targetKey {
                    try db.execute(sql: "DELETE FROM aliases WHERE alias_key = ? AND target_key = ?", arguments: [aliasKey, targetKey])
                } else {
                    try db.execute(sql: "DELETE FROM aliases WHERE alias_key = ?", arguments: [aliasKey])
                }
                guard db.changesCount > 0 else { throw DirectoryError.aliasNotFound(alias, target: target) }
            }
        }
    }

    // MARK: Authentication

    public func authenticate(username: String, password: Password) async throws -> AuthenticationResult {
        let key = DirectoryAddress.lookup(username)?.key
        let row: AccountRow? = try await storage {
            guard let key else { return nil }
            return try await self.pool.read { db in try Self.accountRow(db, key: key) }
        }
        // Always run one real verification, against the dummy hash when there is no such
        // account, so that unknown and known usernames cost the same.
        let hashToCheck = row?.passwordHash ?? dummyHash
        let hasher = self.hasher
        let matches = await workPool.run { hasher.verify(password, against: hashToCheck) }
        guard let row, matches else { return .invalidCredentials }
        return row.enabled ? .success(row.account) : .disabled
    }

    // MARK: Addresses

    public func resolveRecipient(_ address: String) async throws -> RecipientResolution {
        guard let start = DirectoryAddress.lookup(address) else { return .notHosted }
        let limit = maximumAliasDepth
        return try await storage {
            try await self.pool.read { db in
                guard try Self.domainExists(db, start.domain) else { return .notHosted }
                var mailboxes = Set<String>()
                var forwards = Set<String>()
                var visited = Set<String>()
                var frontier: [DirectoryAddress] = [start]
                var depth = 0
                while !frontier.isEmpty {
                    var next: [DirectoryAddress] = []
                    for current in frontier where visited.insert(current.key).inserted {
                        if let account = try Self.accountRow(db, key: current.key) {
                            mailboxes.insert(account.address)
                            continue
                        }
                        let targets = try Self.aliasTargets(db, aliasKey: current.key)
                        guard !targets.isEmpty else { continue }  // unknown, or a dangling alias target
                        guard depth < limit else { throw DirectoryError.aliasChainTooDeep(start.display, limit: limit) }
                        for target in targets {
                            guard let parsed = DirectoryAddress.lookup(target) else { continue }
                            if try Self.domainExists(db, parsed.domain) {
                                next.append(parsed)
                            } else {
                                forwards.insert(target)
                            }
                        }
                    }
                    frontier = next
                    depth += 1
                }
                if mailboxes.isEmpty && forwards.isEmpty { return .unknownUser }
                return .local(mailboxes: mailboxes.sorted(), forwards: forwards.sorted())
            }
        }
    }

    public func addressesOwned(by account: String) async throws -> [String] {
        let key = try lookupKey(account)
        let limit = maximumAliasDepth
        return try await storage {
            try await self.pool.read { db in
                guard let owner = try Self.accountRow(db, key: key) else { throw DirectoryError.userNotFound(account) }
                // Walk the alias graph backwards: every alias that reaches the account, directly or
                // through a chain no longer than resolution would follow, is an address it owns.
                var owned = [owner.address]
                var visited: Set<String> = [key]
                var frontier = [key]
                var depth = 0
                while !frontier.isEmpty && depth < limit {
                    var next: [String] = []
                    for targetKey in frontier {
                        let rows = try Row.fetchAll(
                            db, sql: "SELECT alias, alias_key FROM aliases WHERE target_key = ? ORDER BY alias_key",
                            arguments: [targetKey])
                        for row in rows {
                            let aliasKey: String = row["alias_key"]
                            if visited.insert(aliasKey).inserted {
                                owned.append(row["alias"])
                                next.append(aliasKey)
                            }
                        }
                    }
                    frontier = next
                    depth += 1
                }
                return owned
            }
        }
    }

    // MARK: OP25B exemptions

    @discardableResult
    public func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption {
        let canonical = try OP25BExemption.canonicalPrefix(prefix)
        let exemption = OP25BExemption(prefix: canonical, reason: reason, created: Self.now(), until: until)
        return try await storage {
            try await self.pool.write { db in
                let existing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM op25b_exemptions WHERE prefix = ?", arguments: [canonical]) ?? 0
                guard existing == 0 else { throw DirectoryError.exemptionAlreadyExists(canonical) }
                try db.execute(
                    sql: "INSERT INTO op25b_exemptions (prefix, reason, created, until) VALUES (?, ?, ?, ?)",
                    arguments: [exemption.prefix, exemption.reason, exemption.created, exemption.until])
                return exemption
            }
        }
    }

    public func listExemptions() async throws -> [OP25BExemption] {
        try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT prefix, reason, created, until FROM op25b_exemptions ORDER BY prefix").map {
                    OP25BExemption(prefix: $0["prefix"], reason: $0["reason"], created: $0["created"], until: $0["until"])
                }
            }
        }
    }

    public func removeExemption(prefix: String) async throws {
        // An unparsable prefix cannot have been stored; report it as absent under the name given.
        let canonical = (try? OP25BExemption.canonicalPrefix(prefix)) ?? prefix
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM op25b_exemptions WHERE prefix = ?", arguments: [canonical])
                guard db.changesCount > 0 else { throw DirectoryError.exemptionNotFound(canonical) }
            }
        }
    }

    // MARK: Helpers

    /// Runs `body`, passing ``DirectoryError`` through and wrapping database failures, so callers
    /// see one error type and can map storage failures to a temporary (4xx) reply.
    func storage<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as DirectoryError {
            throw error
        } catch let error as DatabaseError {
            throw DirectoryError.storageFailure(error.message ?? error.description)
        }
    }

    /// Now, truncated to milliseconds: GRDB stores dates with millisecond precision, and a value
    /// returned by `add…` should equal the one read back.
    private static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    private static func domainExists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM domains WHERE name = ?)", arguments: [name]) ?? false
    }

    private static func accountRow(_ db: Database, key: String) throws -> AccountRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE address_key = ?", arguments: [key]).map(AccountRow.init(row:))
    }

    private static func aliasTargets(_ db: Database, aliasKey: String) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT target FROM aliases WHERE alias_key = ? ORDER BY target_key", arguments: [aliasKey])
    }
}

/// One row of `accounts`, including the hash that never leaves this file.
private struct AccountRow: Sendable {
    let address: String
    let domain: String
    let passwordHash: String
    let enabled: Bool
    let created: Date

    init(row: Row) {
        address = row["address"]
        domain = row["domain"]
        passwordHash = row["password_hash"]
        enabled = row["enabled"]
        created = row["created"]
    }

    var account: Account { Account(address: address, domain: domain, isEnabled: enabled, created: created) }
}
