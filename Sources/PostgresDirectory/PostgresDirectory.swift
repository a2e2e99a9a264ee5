import BlockingWork
import Directory
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization
import _ConnectionPoolModule

/// The account directory and abuse store in PostgreSQL, shared by several Portcullis servers.
///
/// The same semantics as ``SQLiteDirectory`` (case rules, errors, hashing on a
/// ``BlockingWorkPool``); what differs is concurrency. SQLite serialises every writer; here
/// writers on different servers run at once, so every check-then-write runs in one transaction
/// and the counter check-and-add also takes a transaction-level advisory lock on its counter
/// (see `PostgresDirectory+Abuse.swift`).
///
/// A connection pool (postgres-nio's `PostgresClient`, run by a task this object owns) reconnects
/// by itself. Every operation has a deadline: when the database is unreachable it throws
/// ``DirectoryError/storageFailure(_:)`` (a 4xx for clients) instead of holding the session,
/// and the next operation after the database is back succeeds.
///
/// The schema is never migrated here: see ``PostgresSchema``.
public final class PostgresDirectory: AccountDirectory, Sendable {
    /// Alias chains longer than this stop resolution with ``DirectoryError/aliasChainTooDeep(_:limit:)``.
    public static let defaultMaximumAliasDepth = SQLiteDirectory.defaultMaximumAliasDepth

    let client: PostgresClient
    private let runner: Task<Void, Never>
    /// Queries are logged nowhere: their binds include password hashes.
    let queryLogger = Logger(label: "portcullis.directory.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    let settings: PostgresDirectorySettings
    private let hasher: any PasswordHashing
    private let workPool: BlockingWorkPool
    private let maximumAliasDepth: Int
    /// A hash of a random password, verified for unknown users so they take as long as known ones.
    private let dummyHash: String

    /// Starts the connection pool; no connection is made until the first operation.
    public init(
        settings: PostgresDirectorySettings,
        hasher: any PasswordHashing = PasswordHasher(),
        workPool: BlockingWorkPool? = nil,
        maximumAliasDepth: Int = PostgresDirectory.defaultMaximumAliasDepth
    ) throws {
        self.settings = settings
        client = PostgresClient(configuration: try settings.clientConfiguration())
        let client = self.client
        runner = Task { await client.run() }
        self.hasher = hasher
        self.workPool = workPool ?? .shared
        self.maximumAliasDepth = max(1, maximumAliasDepth)
        let secret = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        self.dummyHash = try hasher.hash(Password(secret))
    }

    /// Closes the pool's connections. Operations after this fail.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    // MARK: Schema

    /// Where the database's schema stands relative to this build.
    public func schemaStatus() async throws -> PostgresSchema.Status {
        let logger = queryLogger
        let applied = try await withConnection { connection in try await PostgresSchema.appliedVersion(on: connection, logger: logger) }
        return PostgresSchema.status(applied: applied)
    }

    /// Connects once outside the pool and runs `SELECT 1`. The pool only retries in the
    /// background; this tells a command at once why the database cannot be used (refused,
    /// authentication, no such database).
    public func checkReachable() async throws {
        let logger = queryLogger
        let configuration = try settings.connectionConfiguration()
        try await storage(deadline: settings.connectTimeout + .seconds(1)) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            do {
                try await execute(connection, "SELECT 1", logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        }
    }

    /// Applies pending migrations under the advisory lock; returns the versions applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await checkReachable()
        let logger = queryLogger
        // No deadline: waiting for another node's migration to finish is the point of the lock.
        return try await storage(deadline: nil) {
            try await self.client.withConnection { connection in
                try await PostgresSchema.migrate(on: connection, logger: logger)
            }
        }
    }

    /// Throws a one-line ``PostgresSchemaMismatch`` unless the schema is this build's.
    public func requireCurrentSchema() async throws {
        try await checkReachable()
        let status = try await schemaStatus()
        guard status == .current else { throw PostgresSchemaMismatch(status: status, location: settings.description) }
    }

    // MARK: Domains

    @discardableResult
    public func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain {
        let normalised = try DomainName.normalise(name)
        let domain = HostedDomain(name: normalised, kind: kind, created: Self.now())
        let logger = queryLogger
        return try await inTransaction(uniqueViolation: .domainAlreadyHosted(normalised)) { connection in
            guard try await Self.domainExists(connection, normalised, logger) == false else {
                throw DirectoryError.domainAlreadyHosted(normalised)
            }
            try await execute(connection,
                "INSERT INTO domains (name, kind, created) VALUES (\(domain.name), \(domain.kind.rawValue), \(domain.created))",
                logger)
            return domain
        }
    }

    public func removeDomain(_ name: String) async throws {
        let normalised = name.lowercased()
        let logger = queryLogger
        try await inTransaction { connection in
            guard try await Self.domainExists(connection, normalised, logger) else {
                throw DirectoryError.domainNotHosted(normalised)
            }
            let accounts = try await Self.count(connection, "SELECT count(*) FROM accounts WHERE domain = \(normalised)", logger)
            let aliases = try await Self.count(connection, "SELECT count(*) FROM aliases WHERE domain = \(normalised)", logger)
            guard accounts == 0, aliases == 0 else {
                throw DirectoryError.domainInUse(normalised, accounts: accounts, aliases: aliases)
            }
            try await execute(connection, "DELETE FROM domains WHERE name = \(normalised)", logger)
        }
    }

    public func listDomains() async throws -> [HostedDomain] {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query("SELECT name, kind, created FROM domains ORDER BY name", logger: logger).collect().map { row in
                let (name, kind, created) = try row.decode((String, String, Date).self)
                return HostedDomain(name: name, kind: HostedDomain.Kind(rawValue: kind) ?? .virtual, created: created)
            }
        }
    }

    public func isHostedDomain(_ name: String) async throws -> Bool {
        let key = name.lowercased()
        let logger = queryLogger
        return try await withConnection { connection in try await Self.domainExists(connection, key, logger) }
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
        let logger = queryLogger
        return try await inTransaction(uniqueViolation: .userAlreadyExists(address.display)) { connection in
            guard try await Self.domainExists(connection, address.domain, logger) else {
                throw DirectoryError.domainNotHosted(address.domain)
            }
            guard try await Self.accountRow(connection, key: address.key, logger) == nil else {
                throw DirectoryError.userAlreadyExists(address.display)
            }
            guard try await Self.aliasTargets(connection, aliasKey: address.key, logger).isEmpty else {
                throw DirectoryError.addressIsAlias(address.display)
            }
            try await execute(connection, """
                INSERT INTO accounts (address, address_key, domain, password_hash, enabled, created)
                VALUES (\(account.address), \(address.key), \(account.domain), \(hash), TRUE, \(account.created))
                """, logger)
            return account
        }
    }

    public func user(_ address: String) async throws -> Account? {
        guard let key = DirectoryAddress.lookup(address)?.key else { return nil }
        let logger = queryLogger
        return try await withConnection { connection in try await Self.accountRow(connection, key: key, logger)?.account }
    }

    public func listUsers(domain: String?) async throws -> [Account] {
        let logger = queryLogger
        return try await withConnection { connection in
            let rows: PostgresRowSequence
            if let domain {
                rows = try await connection.query(
                    "SELECT \(unescaped: AccountRow.columns) FROM accounts WHERE domain = \(domain.lowercased()) ORDER BY address_key",
                    logger: logger)
            } else {
                rows = try await connection.query(
                    "SELECT \(unescaped: AccountRow.columns) FROM accounts ORDER BY domain, address_key", logger: logger)
            }
            return try await rows.collect().map { try AccountRow(row: $0).account }
        }
    }

    public func setPassword(_ address: String, password: Password) async throws {
        let key = try lookupKey(address)
        let hasher = self.hasher
        let hash = try await workPool.run { try hasher.hash(password) }
        try await updateAccount(address, "UPDATE accounts SET password_hash = \(hash) WHERE address_key = \(key)")
    }

    public func disableUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, "UPDATE accounts SET enabled = FALSE WHERE address_key = \(key)")
    }

    public func enableUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, "UPDATE accounts SET enabled = TRUE WHERE address_key = \(key)")
    }

    public func removeUser(_ address: String) async throws {
        let key = try lookupKey(address)
        try await updateAccount(address, "DELETE FROM accounts WHERE address_key = \(key)")
    }

    private func lookupKey(_ address: String) throws -> String {
        guard let key = DirectoryAddress.lookup(address)?.key else { throw DirectoryError.userNotFound(address) }
        return key
    }

    /// Runs one statement on an account and turns "no row changed" into ``DirectoryError/userNotFound(_:)``.
    private func updateAccount(_ address: String, _ query: PostgresQuery) async throws {
        let logger = queryLogger
        try await inTransaction { connection in
            guard try await Self.changes(connection, query, logger) > 0 else { throw DirectoryError.userNotFound(address) }
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
        let logger = queryLogger
        return try await inTransaction(uniqueViolation: .aliasAlreadyExists(alias: source.display, target: destination.display)) { connection in
            guard try await Self.domainExists(connection, source.domain, logger) else {
                throw DirectoryError.domainNotHosted(source.domain)
            }
            guard try await Self.accountRow(connection, key: source.key, logger) == nil else {
                throw DirectoryError.addressIsUser(source.display)
            }
            let existing = try await Self.count(
                connection, "SELECT count(*) FROM aliases WHERE alias_key = \(source.key) AND target_key = \(destination.key)", logger)
            guard existing == 0 else {
                throw DirectoryError.aliasAlreadyExists(alias: source.display, target: destination.display)
            }
            try await execute(connection, """
                INSERT INTO aliases (alias, alias_key, domain, target, target_key, created)
                VALUES (\(entry.alias), \(source.key), \(source.domain), \(entry.target), \(destination.key), \(entry.created))
                """, logger)
            return entry
        }
    }

    public func listAliases() async throws -> [Alias] {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query("SELECT alias, target, created FROM aliases ORDER BY alias_key, target_key", logger: logger)
                .collect().map { row in
                    let (alias, target, created) = try row.decode((String, String, Date).self)
                    return Alias(alias: alias, target: target, created: created)
                }
        }
    }

    public func removeAlias(_ alias: String, target: String?) async throws {
        guard let aliasKey = DirectoryAddress.lookup(alias)?.key else {
            throw DirectoryError.aliasNotFound(alias, target: target)
        }
        let targetKey = target.map { DirectoryAddress.lookup($0)?.key ?? $0.lowercased() }
        let logger = queryLogger
        try await inTransaction { connection in
            let removed: Int
            if let targetKey {
                removed = try await Self.changes(
                    connection, "DELETE FROM aliases WHERE alias_key = \(aliasKey) AND target_key = \(targetKey)", logger)
            } else {
                removed = try await Self.changes(connection, "DELETE FROM aliases WHERE alias_key = \(aliasKey)", logger)
            }
            guard removed > 0 else { throw DirectoryError.aliasNotFound(alias, target: target) }
        }
    }

    // MARK: Authentication

    public func authenticate(username: String, password: Password) async throws -> AuthenticationResult {
        let key = DirectoryAddress.lookup(username)?.key
        let logger = queryLogger
        let row: AccountRow? = try await {
            guard let key else { return nil }
            return try await withConnection { connection in try await Self.accountRow(connection, key: key, logger) }
        }()
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
        let logger = queryLogger
        return try await withConnection { connection in
            guard try await Self.domainExists(connection, start.domain, logger) else { return .notHosted }
            var mailboxes = Set<String>()
            var forwards = Set<String>()
            var visited = Set<String>()
            var frontier: [DirectoryAddress] = [start]
            var depth = 0
            while !frontier.isEmpty {
                var next: [DirectoryAddress] = []
                for current in frontier where visited.insert(current.key).inserted {
                    if let account = try await Self.accountRow(connection, key: current.key, logger) {
                        mailboxes.insert(account.address)
                        continue
                    }
                    let targets = try await Self.aliasTargets(connection, aliasKey: current.key, logger)
                    guard !targets.isEmpty else { continue }  // unknown, or a dangling alias target
                    guard depth < limit else { throw DirectoryError.aliasChainTooDeep(start.display, limit: limit) }
                    for target in targets {
                        guard let parsed = DirectoryAddress.lookup(target) else { continue }
                        if try await Self.domainExists(connection, parsed.domain, logger) {
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

    public func addressesOwned(by account: String) async throws -> [String] {
        let key = try lookupKey(account)
        let limit = maximumAliasDepth
        let logger = queryLogger
        return try await withConnection { connection in
            guard let owner = try await Self.accountRow(connection, key: key, logger) else { throw DirectoryError.userNotFound(account) }
            // Walk the alias graph backwards: every alias that reaches the account, directly or
            // through a chain no longer than resolution would follow, is an address it owns.
            var owned = [owner.address]
            var visited: Set<String> = [key]
            var frontier = [key]
            var depth = 0
            while !frontier.isEmpty && depth < limit {
                var next: [String] = []
                for targetKey in frontier {
                    let rows = try await connection.query(
                        "SELECT alias, alias_key FROM aliases WHERE target_key = \(targetKey) ORDER BY alias_key", logger: logger
                    ).collect()
                    for row in rows {
                        let (alias, aliasKey) = try row.decode((String, String).self)
                        if visited.insert(aliasKey).inserted {
                            owned.append(alias)
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

    // MARK: OP25B exemptions

    @discardableResult
    public func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption {
        let canonical = try OP25BExemption.canonicalPrefix(prefix)
        let exemption = OP25BExemption(prefix: canonical, reason: reason, created: Self.now(), until: until)
        let logger = queryLogger
        return try await inTransaction(uniqueViolation: .exemptionAlreadyExists(canonical)) { connection in
            let existing = try await Self.count(connection, "SELECT count(*) FROM op25b_exemptions WHERE prefix = \(canonical)", logger)
            guard existing == 0 else { throw DirectoryError.exemptionAlreadyExists(canonical) }
            try await execute(connection, """
                INSERT INTO op25b_exemptions (prefix, reason, created, until)
                VALUES (\(exemption.prefix), \(exemption.reason), \(exemption.created), \(exemption.until))
                """, logger)
            return exemption
        }
    }

    public func listExemptions() async throws -> [OP25BExemption] {
        let logger = queryLogger
        return try await withConnection { connection in
            try await connection.query("SELECT prefix, reason, created, until FROM op25b_exemptions ORDER BY prefix", logger: logger)
                .collect().map { row in
                    let (prefix, reason, created, until) = try row.decode((String, String, Date, Date?).self)
                    return OP25BExemption(prefix: prefix, reason: reason, created: created, until: until)
                }
        }
    }

    public func removeExemption(prefix: String) async throws {
        // An unparsable prefix cannot have been stored; report it as absent under the name given.
        let canonical = (try? OP25BExemption.canonicalPrefix(prefix)) ?? prefix
        let logger = queryLogger
        try await inTransaction { connection in
            guard try await Self.changes(connection, "DELETE FROM op25b_exemptions WHERE prefix = \(canonical)", logger) > 0 else {
                throw DirectoryError.exemptionNotFound(canonical)
            }
        }
    }

    // MARK: Running operations

    /// Runs `body` on a pooled connection, outside a transaction (one statement, or reads
    /// whose consistency does not matter more than SQLite's WAL readers give).
    func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await storage(deadline: settings.operationTimeout) {
            try await self.client.withConnection { connection in try await body(connection) }
        }
    }

    /// Runs `body` in one transaction. A unique-key violation (another server inserted the
    /// same row between our check and our insert) becomes `uniqueViolation` when given.
    /// `bounded: false` lifts the operation deadline, for a whole-directory copy whose length
    /// grows with the directory (`directory copy` checks the database is reachable first).
    func inTransaction<Result: Sendable>(uniqueViolation: DirectoryError? = nil, bounded: Bool = true,
                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let logger = queryLogger
        return try await storage(deadline: bounded ? settings.operationTimeout : nil) {
            do {
                return try await self.client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                // The closure's own error comes wrapped with any rollback failure.
                if let closureError = error.closureError { throw Self.mapped(closureError, uniqueViolation) }
                throw error.beginError ?? error.commitError ?? error.rollbackError ?? error
            } catch {
                throw Self.mapped(error, uniqueViolation)
            }
        }
    }

    private static func mapped(_ error: any Error, _ uniqueViolation: DirectoryError?) -> any Error {
        if let uniqueViolation, let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" {
            return uniqueViolation
        }
        return error
    }

    /// Runs `body` with a deadline, passing ``DirectoryError`` through and turning every other
    /// failure (no connection, a server error, the deadline) into
    /// ``DirectoryError/storageFailure(_:)``, which clients see as a temporary failure.
    private func storage<Result: Sendable>(deadline: Duration?, _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        do {
            guard let deadline else { return try await body() }
            return try await Self.race(body, deadline: deadline) {
                DirectoryError.storageFailure("no answer from \(self.settings.description) within \(deadline.components.seconds) s")
            }
        } catch let error as DirectoryError {
            throw error
        } catch let error as PostgresSchemaMismatch {
            throw error
        } catch {
            throw DirectoryError.storageFailure("\(settings.description): \(Self.describe(error))")
        }
    }

    /// `body`'s result, or `timeout()` thrown once `deadline` has passed. The caller is answered
    /// at the deadline even when `body` ignores cancellation (a query on a connection whose peer
    /// vanished without a reset waits for TCP to notice); `body` is cancelled and finishes alone.
    private static func race<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result, deadline: Duration,
                                               timeout: @escaping @Sendable () -> any Error) async throws -> Result {
        let race = Race<Result>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation: continuation, work: Task {
                let result: Swift.Result<Result, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                race.finish(with: result)
            }, timer: Task {
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                race.finish(with: .failure(timeout()))
            })
        }
    }

    /// A one-line account of a driver error. `PSQLError`'s own description hides everything on
    /// purpose; the server's message and the connection error hold no password.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return error.serverInfo?[.sqlState].map { "\(message) (SQLSTATE \($0))" } ?? message
            }
            if error.code == .sslUnsupported { return "the server does not offer TLS, which sslmode asks for" }
            if let underlying = error.underlying { return "\(error.code): \(describe(underlying))" }
            return "\(error.code)"
        }
        if let error = error as? ConnectionPoolError {
            if error == .connectionCreationCircuitBreakerTripped {
                return "cannot connect (the database has been unreachable for a while; retrying in the background)"
            }
            return "connection pool: \(error)"
        }
        return "\(error)"
    }

    // MARK: Helpers

    /// Now, truncated to milliseconds, as ``SQLiteDirectory`` stores it (PostgreSQL keeps
    /// microseconds): a value returned by `add…` equals the one read back on both back ends.
    static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    static func count(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> Int {
        try await connection.query(query, logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// Runs an UPDATE or DELETE and returns how many rows it changed.
    static func changes(_ connection: PostgresConnection, _ statement: PostgresQuery, _ logger: Logger) async throws -> Int {
        var counted = statement
        counted.sql += " RETURNING 1"
        return try await connection.query(counted, logger: logger).collect().count
    }

    static func domainExists(_ connection: PostgresConnection, _ name: String, _ logger: Logger) async throws -> Bool {
        try await count(connection, "SELECT count(*) FROM domains WHERE name = \(name)", logger) > 0
    }

    static func accountExists(_ connection: PostgresConnection, _ key: String, _ logger: Logger) async throws -> Bool {
        try await count(connection, "SELECT count(*) FROM accounts WHERE address_key = \(key)", logger) > 0
    }

    fileprivate static func accountRow(_ connection: PostgresConnection, key: String, _ logger: Logger) async throws -> AccountRow? {
        try await connection.query(
            "SELECT \(unescaped: AccountRow.columns) FROM accounts WHERE address_key = \(key)", logger: logger
        ).collect().first.map(AccountRow.init(row:))
    }

    static func aliasTargets(_ connection: PostgresConnection, aliasKey: String, _ logger: Logger) async throws -> [String] {
        try await connection.query(
            "SELECT target FROM aliases WHERE alias_key = \(aliasKey) ORDER BY target_key", logger: logger
        ).collect().map { try $0.decode(String.self) }
    }
}

/// One row of `accounts`, including the hash that never leaves this file.
private struct AccountRow: Sendable {
    static let columns = "address, domain, password_hash, enabled, created"

    let address: String
    let domain: String
    let passwordHash: String
    let enabled: Bool
    let created: Date

    init(row: PostgresRow) throws {
        (address, domain, passwordHash, enabled, created) = try row.decode((String, String, String, Bool, Date).self)
    }

    var account: Account { Account(address: address, domain: domain, isEnabled: enabled, created: created) }
}

/// `serve` (and every command but `directory migrate`) found a schema it must not use.
public struct PostgresSchemaMismatch: Error, Sendable, CustomStringConvertible {
    public let status: PostgresSchema.Status
    /// The database, without its password.
    public let location: String

    public var description: String {
        switch status {
        case .current:
            return "the directory \(location) is at schema version \(PostgresSchema.latestVersion)"
        case .empty:
            return "the directory \(location) has no Portcullis schema; run `portcullis directory migrate` once (servers never migrate by themselves)"
        case let .behind(applied, latest):
            return "the directory \(location) is at schema version \(applied), this build needs \(latest); run `portcullis directory migrate` once (servers never migrate by themselves)"
        case let .ahead(applied, latest):
            return "the directory \(location) is at schema version \(applied), newer than this build's \(latest); upgrade portcullis on this node"
        }
    }
}

/// The state of one ``PostgresDirectory`` operation racing its deadline: whichever of the work
/// and the timer finishes first resumes the caller and cancels the other.
private final class Race<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var tasks: [Task<Void, Never>] = []
        var finished = false
        /// The outcome when it arrived before `start` stored the continuation.
        var early: Swift.Result<Result, any Error>?
    }

    private let state = Mutex(State())

    func start(continuation: CheckedContinuation<Result, any Error>, work: Task<Void, Never>, timer: Task<Void, Never>) {
        let early: Swift.Result<Result, any Error>? = state.withLock { state in
            guard !state.finished else { return state.early }
            state.continuation = continuation
            state.tasks = [work, timer]
            return nil
        }
        if let early {
            work.cancel()
            timer.cancel()
            continuation.resume(with: early)
        }
    }

    func finish(with result: Swift.Result<Result, any Error>) {
        let (continuation, tasks): (CheckedContinuation<Result, any Error>?, [Task<Void, Never>]) = state.withLock { state in
            guard !state.finished else { return (nil, []) }
            state.finished = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, [])
            }
            defer {
                state.continuation = nil
                state.tasks = []
            }
            return (continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: result)
    }
}
