import GRDB

extension SQLiteDirectory {
    /// The schema, as a list of named migrations applied in order ("v1", "v2", …).
    ///
    /// Never edit a migration that has shipped: add the next one. GRDB records the applied
    /// names in `grdb_migrations`, so reopening a database applies only what is new.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Domains: lower-case ASCII names (A-labels for IDN); kind is 'primary' or 'virtual'.
            try db.execute(sql: """
                CREATE TABLE domains (
                    name TEXT NOT NULL PRIMARY KEY,
                    kind TEXT NOT NULL DEFAULT 'virtual' CHECK (kind IN ('primary', 'virtual')),
                    created DATETIME NOT NULL
                );
                """)
            // Accounts: `address` keeps the local part's case for display; `address_key`
            // (local part lower-cased, domain lower-cased) is what look-ups and uniqueness use.
            try db.execute(sql: """
                CREATE TABLE accounts (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL,
                    address_key TEXT NOT NULL UNIQUE,
                    domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
                    password_hash TEXT NOT NULL,
                    enabled BOOLEAN NOT NULL DEFAULT 1,
                    created DATETIME NOT NULL
                );
                CREATE INDEX accounts_domain ON accounts(domain);
                """)
            // Aliases: one row per (alias, target); an alias may have several targets.
            try db.execute(sql: """
                CREATE TABLE aliases (
                    id INTEGER PRIMARY KEY,
                    alias TEXT NOT NULL,
                    alias_key TEXT NOT NULL,
                    domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
                    target TEXT NOT NULL,
                    target_key TEXT NOT NULL,
                    created DATETIME NOT NULL,
                    UNIQUE (alias_key, target_key)
                );
                CREATE INDEX aliases_target ON aliases(target_key);
                CREATE INDEX aliases_domain ON aliases(domain);
                """)
            // OP25B exemptions: plain values for the policy engine; `until` NULL means no end.
            try db.execute(sql: """
                CREATE TABLE op25b_exemptions (
                    id INTEGER PRIMARY KEY,
                    prefix TEXT NOT NULL UNIQUE,
                    reason TEXT NOT NULL,
                    created DATETIME NOT NULL,
                    until DATETIME
                );
                """)
        }
        migrator.registerMigration("v2") { db in
            // Abuse controls. Rate counters: one row per (counter, subject, bucket);
            // a window sums the buckets it covers (SlidingWindow). Bucket starts are seconds
            // since 1970. WITHOUT ROWID: the primary key is the only access path.
            try db.execute(sql: """
                CREATE TABLE abuse_counters (
                    name TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    bucket INTEGER NOT NULL,
                    amount INTEGER NOT NULL,
                    PRIMARY KEY (name, subject, bucket)
                ) WITHOUT ROWID;
                CREATE INDEX abuse_counters_bucket ON abuse_counters(bucket);
                """)
            // Temporary blocks: `subject` is an AbuseSubject key (address:… or account:…).
            try db.execute(sql: """
                CREATE TABLE abuse_blocks (
                    subject TEXT NOT NULL PRIMARY KEY,
                    until DATETIME NOT NULL,
                    reason TEXT NOT NULL,
                    created DATETIME NOT NULL
                );
                """)
            // Client addresses an account has logged in from; an account lock spares them.
            try db.execute(sql: """
                CREATE TABLE account_logins (
                    address_key TEXT NOT NULL REFERENCES accounts(address_key) ON DELETE CASCADE,
                    client TEXT NOT NULL,
                    last_success DATETIME NOT NULL,
                    PRIMARY KEY (address_key, client)
                );
                """)
            // Per-account rate limit overrides; NULL means the configured default.
            try db.execute(sql: """
                CREATE TABLE account_limits (
                    address_key TEXT NOT NULL PRIMARY KEY REFERENCES accounts(address_key) ON DELETE CASCADE,
                    messages_per_hour INTEGER,
                    recipients_per_day INTEGER
                );
                """)
            // Compromised-account hold: `released` NULL while the account is suspended.
            try db.execute(sql: """
                CREATE TABLE account_suspensions (
                    address_key TEXT NOT NULL PRIMARY KEY REFERENCES accounts(address_key) ON DELETE CASCADE,
                    since DATETIME NOT NULL,
                    reason TEXT NOT NULL,
                    released DATETIME
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            // Blocked port-25 attempts per subscriber (IPv4 address or IPv6 /64), destination
            // and ten-minute bucket (OP25BAttemptStore); first and last seen in seconds since 1970.
            try db.execute(sql: """
                CREATE TABLE op25b_attempts (
                    subscriber TEXT NOT NULL,
                    destination TEXT NOT NULL,
                    bucket INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    first_seen INTEGER NOT NULL,
                    last_seen INTEGER NOT NULL,
                    PRIMARY KEY (subscriber, destination, bucket)
                ) WITHOUT ROWID;
                CREATE INDEX op25b_attempts_bucket ON op25b_attempts(bucket);
                """)
            // The last operator notice per subscriber, so each is sent once a day.
            try db.execute(sql: """
                CREATE TABLE op25b_notices (
                    subscriber TEXT NOT NULL PRIMARY KEY,
                    notified INTEGER NOT NULL
                );
                """)
        }
        return migrator
    }
}
