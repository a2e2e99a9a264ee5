import Foundation

/// A Dovecot 2.3 configuration that serves the mail Portcullis delivers (IMAP, POP3) and takes
/// it over LMTP, authenticating against Portcullis' own directory: `portcullis dovecot-config`.
///
/// Two files, because Dovecot reads SQL settings from a file of their own: ``main`` (a whole
/// `dovecot.conf`, or a fragment to `!include`) and ``sql`` (the `args` file of passdb and
/// userdb `sql`, holding the database password, so it is written mode 0640).
///
/// The queries read the directory's `accounts` table: a login matches the lower-cased address
/// (`address_key`, as Portcullis keys it) of an enabled account, and the stored crypt(3) hash
/// (yescrypt, bcrypt, SHA-512-crypt) verifies with `default_pass_scheme = CRYPT`, which is
/// libxcrypt's crypt() as in Portcullis. Dovecot lower-cases ASCII only: an address with
/// upper-case non-ASCII letters in its local part logs in as it was created.
public struct DovecotConfiguration: Sendable, Equatable {
    /// The system user that owns the mail.
    public struct MailUser: Sendable, Equatable {
        public var name: String
        public var uid: UInt32
        public var gid: UInt32

        public init(name: String, uid: UInt32, gid: UInt32) {
            self.name = name
            self.uid = uid
            self.gid = gid
        }
    }

    /// Where Dovecot's IMAP and POP3 listeners are: one address (or `*`), four ports.
    public struct Listeners: Sendable, Equatable {
        public var address: String = "*"
        public var imap: Int = 143
        public var imaps: Int = 993
        public var pop3: Int = 110
        public var pop3s: Int = 995

        public init() {}
    }

    public var hostname: String
    public var directory: DirectoryLocation
    /// The PostgreSQL password (from the URL or `password_file`).
    public var databasePassword: DatabasePassword?
    public var mailStore: Configuration.Mailbox.Store
    /// Where the Maildirs are: `<root>/DOMAIN/LOCALPART/Maildir`, Portcullis' own layout, so a
    /// single node's Dovecot serves the Maildirs Portcullis writes.
    public var mailRoot: String
    public var mailUser: MailUser
    public var certificatePath: String
    public var privateKeyPath: String
    public var listeners: Listeners
    /// Where ``sql`` will be installed; ``main`` names it.
    public var sqlPath: String

    public init(hostname: String, directory: DirectoryLocation, databasePassword: DatabasePassword?,
                mailStore: Configuration.Mailbox.Store, mailRoot: String, mailUser: MailUser,
                certificatePath: String, privateKeyPath: String, listeners: Listeners, sqlPath: String) {
        self.hostname = hostname
        self.directory = directory
        self.databasePassword = databasePassword
        self.mailStore = mailStore
        self.mailRoot = mailRoot
        self.mailUser = mailUser
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.listeners = listeners
        self.sqlPath = sqlPath
    }

    /// The `dovecot.conf` text.
    public var main: String {
        var lines = [
            "# Dovecot 2.3 for Portcullis (\(hostname)), written by `portcullis dovecot-config`.",
            "# Accounts come from Portcullis' directory (\(directory)); mail is delivered over LMTP",
            "# (or written by Portcullis itself with [mailbox] store = \"maildir\").",
            "protocols = imap pop3 lmtp",
            "listen = \(listeners.address)",
            "",
            "# Customers log in with their full address and the password Portcullis stores.",
            "auth_mechanisms = plain login",
            "disable_plaintext_auth = yes",
            "auth_username_format = %Lu",
            "passdb {",
            "  driver = sql",
            "  args = \(sqlPath)",
            "}",
            "userdb {",
            "  driver = sql",
            "  args = \(sqlPath)",
            "}",
            "",
            "# Every mailbox belongs to one system user; the directory holds virtual users only.",
            "mail_uid = \(mailUser.uid)",
            "mail_gid = \(mailUser.gid)",
            "first_valid_uid = \(mailUser.uid)",
            "last_valid_uid = \(mailUser.uid)",
            "first_valid_gid = \(mailUser.gid)",
            "mail_home = \(mailRoot)/%Ld/%n",
            "mail_location = maildir:~/Maildir",
            "",
            "ssl = required",
            "ssl_cert = <\(certificatePath)",
            "ssl_key = <\(privateKeyPath)",
            "ssl_min_protocol = TLSv1.2",
            "",
            "# Portcullis expands aliases and sends each account's own address: no +detail here.",
            "recipient_delimiter =",
            "lmtp_save_to_detail_mailbox = no",
            "",
            "service imap-login {",
            "  inet_listener imap {",
            "    port = \(listeners.imap)",
            "  }",
            "  inet_listener imaps {",
            "    port = \(listeners.imaps)",
            "    ssl = yes",
            "  }",
            "}",
            "service pop3-login {",
            "  inet_listener pop3 {",
            "    port = \(listeners.pop3)",
            "  }",
            "  inet_listener pop3s {",
            "    port = \(listeners.pop3s)",
            "    ssl = yes",
            "  }",
            "}",
        ]
        lines += lmtpService
        return lines.joined(separator: "\n") + "\n"
    }

    /// The LMTP listener Portcullis delivers to (`[mailbox] lmtp`); with Maildir delivery, a
    /// unix socket in Dovecot's run directory that nothing uses but `doveadm`.
    private var lmtpService: [String] {
        switch mailStore {
        case .lmtp(.tcp(let host, let port)):
            return ["service lmtp {", "  inet_listener lmtp {", "    address = \(host)", "    port = \(port)", "  }", "}"]
        case .lmtp(.unix(let path)):
            return ["service lmtp {", "  unix_listener \(path) {", "    mode = 0600", "    user = \(mailUser.name)", "  }", "}"]
        case .maildir:
            return []
        }
    }

    /// The SQL `args` file: driver, connection and the three queries.
    public var sql: String {
        var lines = ["# Portcullis' directory for Dovecot's passdb and userdb, written by `portcullis dovecot-config`."]
        switch directory {
        case .sqlite(let path):
            lines += ["driver = sqlite", "connect = \(path)"]
        case .postgres(let location):
            var connect = ["host=\(location.host)", "port=\(location.port)", "dbname=\(location.database)",
                           "user=\(location.user)"]
            if let databasePassword { connect.append("password=\(databasePassword.secret)") }
            // libpq's own names for the same modes.
            connect.append("sslmode=\(location.sslMode.rawValue)")
            lines += ["driver = pgsql", "connect = \(connect.map(Self.quotedConnectValue).joined(separator: " "))"]
        }
        lines += [
            "default_pass_scheme = CRYPT",
            "",
            "# A disabled account cannot log in; it still receives mail, as in Portcullis.",
            "password_query = SELECT address AS user, password_hash AS password FROM accounts "
                + "WHERE address_key = '%Lu' AND enabled",
            "user_query = SELECT address AS user FROM accounts WHERE address_key = '%Lu'",
            "iterate_query = SELECT address AS user FROM accounts",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A libpq connection value: single-quoted with `\` escapes when it has spaces or quotes.
    static func quotedConnectValue(_ pair: String) -> String {
        guard let equals = pair.firstIndex(of: "=") else { return pair }
        let value = pair[pair.index(after: equals)...]
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return pair }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "\(pair[..<equals])='\(escaped)'"
    }
}
