import Config
import Testing

/// `portcullis dovecot-config`'s text; the interop suite runs it in a real Dovecot.
@Suite struct DovecotConfigurationTests {
    private func dovecot(_ directory: DirectoryLocation, password: String? = nil,
                         store: Configuration.Mailbox.Store) -> DovecotConfiguration {
        DovecotConfiguration(
            hostname: "mx1.alato.example", directory: directory, databasePassword: password.map(DatabasePassword.init),
            mailStore: store, mailRoot: "/var/vmail",
            mailUser: .init(name: "vmail", uid: 5000, gid: 5000),
            certificatePath: "/d/tls/cert.pem", privateKeyPath: "/d/tls/key.pem",
            listeners: .init(), sqlPath: "/etc/dovecot/portcullis-sql.conf.ext")
    }

    @Test func postgresPasswordIsQuotedForLibpqAndOnlyInTheSQLFile() throws {
        let location = try PostgresLocation.parse("postgres://mail@192.0.2.5:5433/portcullis?sslmode=require")
        let config = dovecot(.postgres(location), password: "it's a secret", store: .lmtp(.tcp(host: "192.0.2.9", port: 24)))
        #expect(config.sql.contains("driver = pgsql\n"))
        #expect(config.sql.contains(
            "connect = host=192.0.2.5 port=5433 dbname=portcullis user=mail password='it\\'s a secret' sslmode=require\n"))
        #expect(!config.main.contains("secret"))
        #expect(config.main.contains("args = /etc/dovecot/portcullis-sql.conf.ext"))
    }

    @Test func sqliteDirectoryAndDisabledAccounts() {
        let config = dovecot(.sqlite(path: "/d/directory.sqlite"), store: .maildir)
        #expect(config.sql.contains("driver = sqlite\nconnect = /d/directory.sqlite\n"))
        #expect(config.sql.contains("default_pass_scheme = CRYPT"))
        // Logins need an enabled account; delivery does not.
        #expect(config.sql.contains("WHERE address_key = '%Lu' AND enabled\n"))
        #expect(config.sql.contains("user_query = SELECT address AS user FROM accounts WHERE address_key = '%Lu'\n"))
        #expect(!config.main.contains("service lmtp"))
    }

    @Test func lmtpListenerFollowsTheMailboxStore() {
        let tcp = dovecot(.sqlite(path: "/d/x"), store: .lmtp(.tcp(host: "2001:db8::9", port: 2424))).main
        #expect(tcp.contains("inet_listener lmtp {\n    address = 2001:db8::9\n    port = 2424\n"))
        let unix = dovecot(.sqlite(path: "/d/x"), store: .lmtp(.unix(path: "/run/dovecot/lmtp-portcullis"))).main
        #expect(unix.contains("unix_listener /run/dovecot/lmtp-portcullis {\n    mode = 0600\n    user = vmail\n"))
        #expect(unix.contains("mail_uid = 5000\nmail_gid = 5000\n"))
        #expect(unix.contains("mail_home = /var/vmail/%Ld/%n\n"))
    }
}
