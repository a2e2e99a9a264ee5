import ArgumentParser
import Config
import Delivery
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `portcullis dovecot-config`: the Dovecot 2.3 configuration that serves this installation's
/// mail over IMAP and POP3, takes it over LMTP and authenticates against the same directory.
struct DovecotConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dovecot-config",
        abstract: "Print (or write with --output) a Dovecot 2.3 configuration on this installation's directory and mail store.",
        discussion: """
            Without --output it prints dovecot.conf; --sql prints the SQL settings file it names (with the \
            database password). --output DIR writes both: DIR/portcullis.conf and DIR/portcullis-sql.conf.ext \
            (mode 0640, group dovecot).
            """)

    @OptionGroup var location: DataLocation

    @Option(help: "Write portcullis.conf and portcullis-sql.conf.ext into this directory instead of printing.")
    var output: String?

    @Flag(help: "Print the SQL settings file instead of dovecot.conf.")
    var sql = false

    @Option(name: .customLong("sql-path"), help: "Where the SQL settings file will be (default: /etc/dovecot/portcullis-sql.conf.ext, or in --output).")
    var sqlPath: String?

    @Option(name: .customLong("mail-user"), help: "The system user owning the mail (default: [process] user, else the data directory's owner unless root, else mail).")
    var mailUser: String?

    @Option(name: .customLong("mail-root"), help: "Where the Maildirs are, DOMAIN/LOCALPART/Maildir below it (default: DATA/mailboxes with store = \"maildir\", /var/vmail with store = \"lmtp\").")
    var mailRoot: String?

    @Option(help: "The address Dovecot's IMAP and POP3 listeners bind (default: *).")
    var listen = "*"

    @Option(name: .customLong("imap-port")) var imapPort = 143
    @Option(name: .customLong("imaps-port")) var imapsPort = 993
    @Option(name: .customLong("pop3-port")) var pop3Port = 110
    @Option(name: .customLong("pop3s-port")) var pop3sPort = 995

    func validate() throws {
        for (name, port) in [("imap", imapPort), ("imaps", imapsPort), ("pop3", pop3Port), ("pop3s", pop3sPort)]
        where !(1...65535).contains(port) {
            throw ValidationError("--\(name)-port must be from 1 to 65535, found \(port)")
        }
        if output != nil && sql {
            throw ValidationError("--output writes both files; --sql prints one: give either, not both")
        }
    }

    func run() async throws {
        let configuration = try location.load()
        let user = try Self.mailUser(named: mailUser ?? configuration.process.user
                                     ?? Self.owner(of: configuration.dataDirectory) ?? "mail")
        let root: String
        if let mailRoot {
            root = mailRoot
        } else if case .lmtp = configuration.mailbox.store {
            root = "/var/vmail"
        } else {
            root = DeliverySettings(configuration: configuration).mailboxRoot
        }
        let outputDirectory = output.map { ($0 as NSString).standardizingPath }
        var password: DatabasePassword?
        if case .postgres(let postgres) = configuration.directory.location {
            password = postgres.password
            if let file = configuration.directory.passwordFile {
                password = DatabasePassword(try Configuration.readPasswordFile(file))
            }
        }
        var listeners = DovecotConfiguration.Listeners()
        listeners.address = listen
        listeners.imap = imapPort
        listeners.imaps = imapsPort
        listeners.pop3 = pop3Port
        listeners.pop3s = pop3sPort
        let dovecot = DovecotConfiguration(
            hostname: configuration.hostname, directory: configuration.directory.location, databasePassword: password,
            mailStore: configuration.mailbox.store, mailRoot: root, mailUser: user,
            certificatePath: configuration.tls.certificatePath, privateKeyPath: configuration.tls.privateKeyPath,
            listeners: listeners,
            sqlPath: sqlPath ?? outputDirectory.map { "\($0)/portcullis-sql.conf.ext" } ?? "/etc/dovecot/portcullis-sql.conf.ext")

        guard let outputDirectory else {
            print(sql ? dovecot.sql : dovecot.main, terminator: "")
            return
        }
        try write(dovecot.main, to: "\(outputDirectory)/portcullis.conf", mode: 0o644)
        // The database password is in it: Dovecot's auth process (group dovecot) reads it, nobody else.
        try write(dovecot.sql, to: dovecot.sqlPath, mode: 0o640, group: "dovecot")
        print("wrote \(outputDirectory)/portcullis.conf and \(dovecot.sqlPath)")
    }

    /// The user `serve` runs as when no `[process] user` is set: the data directory's owner
    /// (the systemd unit's `User=`), unless that is root, whom Dovecot refuses as a mail user.
    static func owner(of directory: String) -> String? {
        var info = stat()
        guard stat(directory, &info) == 0, info.st_uid != 0, let entry = getpwuid(info.st_uid) else { return nil }
        return String(cString: entry.pointee.pw_name)
    }

    static func mailUser(named name: String) throws -> DovecotConfiguration.MailUser {
        guard let entry = getpwnam(name) else {
            throw CLIError("no system user named \"\(name)\" to own the mail (create one, e.g. `useradd --system vmail`, and give --mail-user)")
        }
        return DovecotConfiguration.MailUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    private func write(_ text: String, to path: String, mode: mode_t, group: String? = nil) throws {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // Created with its final mode: the password is never readable by others, not even briefly.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
            guard descriptor >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fchmod(descriptor, mode) == 0 else { throw CLIError("cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
            if let group, let entry = getgrnam(group) {
                guard fchown(descriptor, geteuid(), entry.pointee.gr_gid) == 0 else {
                    throw CLIError("cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
                }
            }
            let bytes = Array(text.utf8)
            guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count else {
                throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot write \(path): \(error)")
        }
    }
}
