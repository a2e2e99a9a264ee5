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
        return migrator
    }
}
