import Directory
import Logging
import PostgresNIO

/// The PostgreSQL schema as numbered migrations, and the one place that applies them.
///
/// Several servers share one database, so migrations are never applied by a starting server:
/// `portcullis init --directory-url` and `portcullis directory migrate` apply them, holding a
/// session-level advisory lock so that two runs at once apply each step once, and `serve`
/// refuses a schema older or newer than the one it was built for (``PostgresSchema/check``).
/// Each migration runs in its own transaction together with the row in `schema_version` that
/// records it, so a failed step leaves the previous version in place.
///
/// Text columns use the "C" collation: sorting and comparison are bytewise, as in SQLite,
/// whatever locale the operator's database was created with. Never edit a migration that has
/// shipped: add the next one.
public enum PostgresSchema {
    /// One step of the schema.
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// The version this build reads and writes.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The advisory lock key held while migrating ("portcul" in ASCII), in the one-bigint key
    /// space; counter locks use the two-integer space, so the two never collide.
    static let migrationLockKey: Int64 = 0x706f_7274_6375_6c

    /// Where the database's schema stands relative to this build.
    public enum Status: Sendable, Equatable {
        /// Migrated to ``PostgresSchema/latestVersion``.
        case current
        /// No Portcullis schema at all.
        case empty
        /// Older than this build: run the migrations.
        case behind(applied: Int, latest: Int)
        /// Newer than this build: an older binary must not write to it.
        case ahead(applied: Int, latest: Int)
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "directory and abuse store", statements: [
            // Domains: lower-case ASCII names (A-labels for IDN); kind is 'primary' or 'virtual'.
            """
            CREATE TABLE domains (
                name TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                kind TEXT COLLATE "C" NOT NULL DEFAULT 'virtual' CHECK (kind IN ('primary', 'virtual')),
                created TIMESTAMPTZ NOT NULL
            )
            """,
            // Accounts: `address` keeps the local part's case for display; `address_key` (both
            // parts lower-cased) is what look-ups and uniqueness use.
            """
            CREATE TABLE accounts (
                id BIGSERIAL PRIMARY KEY,
                address TEXT COLLATE "C" NOT NULL,
                address_key TEXT COLLATE "C" NOT NULL UNIQUE,
                domain TEXT COLLATE "C" NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
                password_hash TEXT COLLATE "C" NOT NULL,
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                created TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX accounts_domain ON accounts(domain)",
            // Aliases: one row per (alias, target); an alias may have several targets.
            """
            CREATE TABLE aliases (
                id BIGSERIAL PRIMARY KEY,
                alias TEXT COLLATE "C" NOT NULL,
                alias_key TEXT COLLATE "C" NOT NULL,
                domain TEXT COLLATE "C" NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
                target TEXT COLLATE "C" NOT NULL,
                target_key TEXT COLLATE "C" NOT NULL,
                created TIMESTAMPTZ NOT NULL,
                UNIQUE (alias_key, target_key)
            )
            """,
            "CREATE INDEX aliases_target ON aliases(target_key)",
            "CREATE INDEX aliases_domain ON aliases(domain)",
            // OP25B exemptions: `until` NULL means no end.
            """
            CREATE TABLE op25b_exemptions (
                id BIGSERIAL PRIMARY KEY,
                prefix TEXT COLLATE "C" NOT NULL UNIQUE,
                reason TEXT COLLATE "C" NOT NULL,
                created TIMESTAMPTZ NOT NULL,
                until TIMESTAMPTZ
            )
            """,
            // Rate counters: one row per (counter, subject, bucket); a window sums the buckets
            // it covers (SlidingWindow). Bucket starts are seconds since 1970.
            """
            CREATE TABLE abuse_counters (
                name TEXT COLLATE "C" NOT NULL,
                subject TEXT COLLATE "C" NOT NULL,
                bucket BIGINT NOT NULL,
                amount BIGINT NOT NULL,
                PRIMARY KEY (name, subject, bucket)
            )
            """,
            "CREATE INDEX abuse_counters_bucket ON abuse_counters(bucket)",
            // Temporary blocks: `subject` is an AbuseSubject key (address:… or account:…).
            """
            CREATE TABLE abuse_blocks (
                subject TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                until TIMESTAMPTZ NOT NULL,
                reason TEXT COLLATE "C" NOT NULL,
                created TIMESTAMPTZ NOT NULL
            )
            """,
            // Client addresses an account has logged in from; an account lock spares them.
            """
            CREATE TABLE account_logins (
                address_key TEXT COLLATE "C" NOT NULL REFERENCES accounts(address_key) ON DELETE CASCADE,
                client TEXT COLLATE "C" NOT NULL,
                last_success TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (address_key, client)
            )
            """,
            // Per-account rate limit overrides; NULL means the configured default.
            """
            CREATE TABLE account_limits (
                address_key TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES accounts(address_key) ON DELETE CASCADE,
                messages_per_hour BIGINT,
                recipients_per_day BIGINT
            )
            """,
            // Compromised-account hold: `released` NULL while the account is suspended.
            """
            CREATE TABLE account_suspensions (
                address_key TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES accounts(address_key) ON DELETE CASCADE,
                since TIMESTAMPTZ NOT NULL,
                reason TEXT COLLATE "C" NOT NULL,
                released TIMESTAMPTZ
            )
            """,
        ]),
        Migration(version: 2, name: "op25b attempts", statements: [
            // Blocked port-25 attempts per subscriber (IPv4 address or IPv6 /64), destination and
            // ten-minute bucket (OP25BAttemptStore); first and last seen in seconds since 1970.
            """
            CREATE TABLE op25b_attempts (
                subscriber TEXT COLLATE "C" NOT NULL,
                destination TEXT COLLATE "C" NOT NULL,
                bucket BIGINT NOT NULL,
                attempts BIGINT NOT NULL,
                first_seen BIGINT NOT NULL,
                last_seen BIGINT NOT NULL,
                PRIMARY KEY (subscriber, destination, bucket)
            )
            """,
            "CREATE INDEX op25b_attempts_bucket ON op25b_attempts(bucket)",
            // The last operator notice per subscriber, so each is sent once a day.
            """
            CREATE TABLE op25b_notices (
                subscriber TEXT COLLATE "C" NOT NULL PRIMARY KEY,
                notified BIGINT NOT NULL
            )
            """,
        ]),
    ]

    /// The version recorded in `schema_version`, or nil when the table does not exist.
    static func appliedVersion(on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let exists = try await connection.query("SELECT to_regclass('schema_version') IS NOT NULL", logger: logger)
            .collect().first?.decode(Bool.self) ?? false
        guard exists else { return nil }
        let version = try await connection.query("SELECT max(version) FROM schema_version", logger: logger)
            .collect().first?.decode(Int?.self)
        return (version ?? nil) ?? 0
    }

    static func status(applied: Int?) -> Status {
        guard let applied, applied > 0 else { return .empty }
        if applied < latestVersion { return .behind(applied: applied, latest: latestVersion) }
        if applied > latestVersion { return .ahead(applied: applied, latest: latestVersion) }
        return .current
    }

    /// Applies the pending migrations under the advisory lock; returns the versions applied
    /// (empty when the schema was current). Throws ``DirectoryError/storageFailure(_:)`` when
    /// the database is newer than this build.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        // Session-level: held across the per-migration transactions, released on unlock or
        // when the connection ends (a migrating process that dies frees it).
        try await execute(connection, "SELECT pg_advisory_lock(\(migrationLockKey))", logger)
        do {
            let applied = try await migrateLocked(on: connection, logger: logger)
            try await execute(connection, "SELECT pg_advisory_unlock(\(migrationLockKey))", logger)
            return applied
        } catch {
            try? await execute(connection, "SELECT pg_advisory_unlock(\(migrationLockKey))", logger)
            throw error
        }
    }

    private static func migrateLocked(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await execute(connection, """
            CREATE TABLE IF NOT EXISTS schema_version (
                version INTEGER NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                applied TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """, logger)
        let current = try await appliedVersion(on: connection, logger: logger) ?? 0
        if current > latestVersion {
            throw DirectoryError.storageFailure(
                "the database's schema is version \(current), newer than this build's \(latestVersion); upgrade portcullis")
        }
        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.statements {
                    try await execute(connection, PostgresQuery(unsafeSQL: statement), logger)
                }
                try await execute(connection,
                    "INSERT INTO schema_version (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger)
            }
            applied.append(migration.version)
        }
        return applied
    }
}
