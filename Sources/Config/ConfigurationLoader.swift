import Foundation
import Policy

extension Configuration {
    /// Loads and validates `portcullis.toml`. Relative paths in it are relative to `dataDirectory`
    /// (by default the directory holding the file).
    public static func load(file: String, dataDirectory: String? = nil) throws(ConfigurationError) -> Configuration {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ConfigurationError(file: file, key: nil, message: "cannot read the file (\(error.localizedDescription))")
        }
        let base = dataDirectory ?? (file as NSString).deletingLastPathComponent
        return try parse(bytes: bytes, file: file, dataDirectory: base.isEmpty ? "." : base)
    }

    /// Parses configuration text; `file` only names the source in errors.
    public static func parse(_ text: String, file: String, dataDirectory: String) throws(ConfigurationError) -> Configuration {
        try parse(bytes: Array(text.utf8), file: file, dataDirectory: dataDirectory)
    }

    /// Parses the bytes of a configuration file, which must be UTF-8; `file` only names the
    /// source in errors.
    public static func parse(bytes: some Collection<UInt8>, file: String, dataDirectory: String) throws(ConfigurationError) -> Configuration {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(bytes)
        } catch {
            throw ConfigurationError(file: file, key: nil, message: "not valid TOML: \(error)")
        }
        do {
            return try Reader(table: root, path: "").configuration(dataDirectory: dataDirectory)
        } catch let problem as KeyProblem {
            throw ConfigurationError(file: file, key: problem.key, message: problem.message)
        } catch {
            throw ConfigurationError(file: file, key: nil, message: "\(error)")
        }
    }
}

/// A problem located at one key.
struct KeyProblem: Error {
    var key: String
    var message: String
}

/// Walks one TOML table with type checks, remembering which keys were read so that
/// unknown (usually misspelt) keys are reported instead of silently ignored.
final class Reader {
    let table: TOMLTable
    let path: String
    private var seen: Set<String> = []

    init(table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private func value(_ name: String) -> TOMLValue? {
        seen.insert(name)
        return table[name]
    }

    func string(_ name: String) throws -> String? {
        guard let value = value(name) else { return nil }
        guard let string = value.string else { throw KeyProblem(key: key(name), message: "must be a string, found \(value.typeName)") }
        return string
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(name) else { return nil }
        guard let int = value.integer else { throw KeyProblem(key: key(name), message: "must be an integer, found \(value.typeName)") }
        guard range.contains(int) else {
            throw KeyProblem(key: key(name), message: "must be between \(range.lowerBound) and \(range.upperBound), found \(int)")
        }
        return int
    }

    func bool(_ name: String) throws -> Bool? {
        guard let value = value(name) else { return nil }
        guard let bool = value.boolean else { throw KeyProblem(key: key(name), message: "must be true or false, found \(value.typeName)") }
        return bool
    }

    func strings(_ name: String) throws -> [String]? {
        guard let value = value(name) else { return nil }
        guard let array = value.array else { throw KeyProblem(key: key(name), message: "must be an array of strings, found \(value.typeName)") }
        return try array.enumerated().map { index, element in
            guard let string = element.string else {
                throw KeyProblem(key: "\(key(name))[\(index)]", message: "must be a string, found \(element.typeName)")
            }
            return string
        }
    }

    func ints(_ name: String, in range: ClosedRange<Int>) throws -> [Int]? {
        guard let value = value(name) else { return nil }
        guard let array = value.array else { throw KeyProblem(key: key(name), message: "must be an array of integers, found \(value.typeName)") }
        return try array.enumerated().map { index, element in
            guard let int = element.integer, range.contains(int) else {
                throw KeyProblem(key: "\(key(name))[\(index)]", message: "must be an integer between \(range.lowerBound) and \(range.upperBound)")
            }
            return int
        }
    }

    /// IPv4 or IPv6 prefixes (`203.0.113.0/24`, `2001:db8::/32`) or single addresses.
    func prefixes(_ name: String) throws -> [IPPrefix]? {
        guard let texts = try strings(name) else { return nil }
        return try texts.enumerated().map { index, text in
            do {
                return try IPPrefix(text)
            } catch {
                throw KeyProblem(key: "\(key(name))[\(index)]", message: "\(error) (write an address or a prefix such as 192.0.2.0/24 or 2001:db8::/32)")
            }
        }
    }

    func listen(_ name: String) throws -> [ListenAddress]? {
        guard let texts = try strings(name) else { return nil }
        return try texts.enumerated().map { index, text in
            switch ListenAddress.parse(text) {
            case .success(let address): return address
            case .failure(let problem): throw KeyProblem(key: "\(key(name))[\(index)]", message: problem.message)
            }
        }
    }

    func stringMap(_ name: String) throws -> [String: String]? {
        guard let value = value(name) else { return nil }
        guard let table = value.table else { throw KeyProblem(key: key(name), message: "must be a table of strings, found \(value.typeName)") }
        var result: [String: String] = [:]
        for entry in table.keys {
            guard let string = table[entry]?.string else {
                throw KeyProblem(key: "\(key(name)).\(entry)", message: "must be a string")
            }
            result[entry] = string
        }
        return result
    }

    /// A sub-table; an absent one reads as empty so that defaults apply.
    func table(_ name: String) throws -> Reader {
        guard let value = value(name) else { return Reader(table: TOMLTable(), path: key(name)) }
        guard let table = value.table else { throw KeyProblem(key: key(name), message: "must be a table, found \(value.typeName)") }
        return Reader(table: table, path: key(name))
    }

    /// An array of tables (`[[name]]`).
    func tables(_ name: String) throws -> [Reader] {
        guard let value = value(name) else { return [] }
        guard let array = value.array else { throw KeyProblem(key: key(name), message: "must be an array of tables ([[\(name)]])") }
        return try array.enumerated().map { index, element in
            guard let table = element.table else { throw KeyProblem(key: "\(key(name))[\(index)]", message: "must be a table") }
            return Reader(table: table, path: "\(key(name))[\(index)]")
        }
    }

    /// Fails on any key that no reader asked for.
    func finish() throws {
        for name in table.keys.sorted() where !seen.contains(name) {
            throw KeyProblem(key: key(name), message: "unknown key (misspelt? see the configuration reference in README.md)")
        }
    }
}

extension Reader {
    /// `[directory]`: the URL, and for PostgreSQL the password file and the pool size.
    func directorySettings(resolve: (String) -> String) throws -> DirectorySettings {
        let url = try string("url") ?? "sqlite:directory.sqlite"
        let location: DirectoryLocation
        do {
            location = try DirectoryLocation.parse(url, resolve: resolve)
        } catch {
            throw KeyProblem(key: key("url"), message: error.message)
        }
        let passwordFile = try string("password_file").map(resolve)
        let poolSize = try int("pool_size", in: 1...1000)
        switch location {
        case .sqlite:
            if passwordFile != nil {
                throw KeyProblem(key: key("password_file"), message: "is for a postgres:// url; an SQLite directory has no password")
            }
            if poolSize != nil {
                throw KeyProblem(key: key("pool_size"), message: "is for a postgres:// url; an SQLite directory has no connection pool")
            }
        case .postgres(let postgres):
            if passwordFile != nil, postgres.password != nil {
                throw KeyProblem(key: key("password_file"), message: "the url has a password too; give it in one place only")
            }
        }
        return DirectorySettings(location: location, passwordFile: passwordFile,
                                 poolSize: poolSize ?? DirectorySettings.defaultPoolSize)
    }

    /// `local@domain` with both parts present and nothing a header or envelope could not carry.
    static func isMailAddress(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@") else { return false }
        return at != text.startIndex && text.index(after: at) != text.endIndex
            && !text.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace })
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }

    func configuration(dataDirectory: String) throws -> Configuration {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (dataDirectory as NSString).appendingPathComponent(path)
        }
        let hostname = try string("hostname") ?? "localhost"
        guard Reader.isHostName(hostname) else {
            throw KeyProblem(key: "hostname", message: "\"\(hostname)\" is not a host name")
        }

        let tlsTable = try table("tls")
        let tls = Configuration.TLS(
            certificatePath: resolve(try tlsTable.string("certificate") ?? "tls/cert.pem"),
            privateKeyPath: resolve(try tlsTable.string("private_key") ?? "tls/key.pem"))
        try tlsTable.finish()

        let directoryTable = try table("directory")
        let directory = try directoryTable.directorySettings(resolve: resolve)
        try directoryTable.finish()

        let smtpTable = try table("smtp")
        var smtp = Configuration.SMTP(
            listen: try smtpTable.listen("listen") ?? [ListenAddress(host: "127.0.0.1", port: 2525)],
            // Postscreen waits 6 s by default. Clients wait 5 minutes for the greeting (RFC 5321
            // §4.5.3.2.1), but a pause over a minute only ties up connection slots.
            greetPauseMilliseconds: try smtpTable.int("greet_pause", in: 0...60_000) ?? 0)
        smtp.proxyProtocol = try smtpTable.bool("proxy_protocol") ?? false
        try smtpTable.finish()

        let submissionTable = try table("submission")
        var submission = Configuration.Submission(
            listen: try submissionTable.listen("listen") ?? [ListenAddress(host: "127.0.0.1", port: 2587)],
            implicitTLSListen: try submissionTable.listen("implicit_tls_listen") ?? [ListenAddress(host: "127.0.0.1", port: 2465)],
            maxMessageSize: try submissionTable.int("max_message_size", in: 1024...1 << 31) ?? 26_214_400,
            // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted.
            maxRecipients: try submissionTable.int("max_recipients", in: 1...100_000) ?? 100)
        submission.proxyProtocol = try submissionTable.bool("proxy_protocol") ?? false
        try submissionTable.finish()

        let limitsTable = try table("limits")
        var limits = Configuration.Limits(
            maxConnections: try limitsTable.int("max_connections", in: 1...1_000_000) ?? 20_000,
            maxConnectionsPerClient: try limitsTable.int("max_connections_per_client", in: 1...1_000_000) ?? 50,
            maxErrors: try limitsTable.int("max_errors", in: 1...1000) ?? 10,
            commandTimeoutSeconds: try limitsTable.int("command_timeout", in: 1...86_400) ?? 300,
            dataTimeoutSeconds: try limitsTable.int("data_timeout", in: 1...86_400) ?? 600,
            shutdownGraceSeconds: try limitsTable.int("shutdown_grace", in: 0...3600) ?? 30,
            authFailureDelayMilliseconds: try limitsTable.int("auth_failure_delay_ms", in: 0...60_000) ?? 1000)
        limits.trustedProxies = try limitsTable.prefixes("trusted_proxies") ?? []
        try limitsTable.finish()

        let deliveryTable = try table("delivery")
        var delivery = Configuration.Delivery(
            nameservers: try deliveryTable.strings("nameservers") ?? [],
            smtpPort: try deliveryTable.int("smtp_port", in: 1...65535) ?? 25,
            routes: try deliveryTable.stringMap("routes") ?? [:])
        delivery.retryInitialSeconds = try deliveryTable.int("retry_initial", in: 1...86_400) ?? delivery.retryInitialSeconds
        delivery.retryMaxSeconds = try deliveryTable.int("retry_max", in: 1...604_800) ?? delivery.retryMaxSeconds
        delivery.maxQueueLifetimeSeconds = try deliveryTable.int("max_queue_lifetime", in: 60...8_640_000) ?? delivery.maxQueueLifetimeSeconds
        delivery.delayNoticeAfterSeconds = try deliveryTable.int("delay_notice_after", in: 0...8_640_000) ?? delivery.delayNoticeAfterSeconds
        delivery.maxConnections = try deliveryTable.int("max_connections", in: 1...10_000) ?? delivery.maxConnections
        delivery.maxConnectionsPerDestination = try deliveryTable.int("max_connections_per_destination", in: 1...1000) ?? delivery.maxConnectionsPerDestination
        delivery.tlsFallbackToCleartext = try deliveryTable.bool("tls_fallback_to_cleartext") ?? delivery.tlsFallbackToCleartext
        if delivery.retryMaxSeconds < delivery.retryInitialSeconds {
            throw KeyProblem(key: "delivery.retry_max", message: "must not be smaller than delivery.retry_initial")
        }
        try deliveryTable.finish()

        let accessNetworks = try tables("access_networks").map { network in
            guard let name = try network.string("name"), !name.isEmpty else {
                throw KeyProblem(key: network.key("name"), message: "every access network needs a name")
            }
            let result = Configuration.AccessNetwork(
                name: name,
                prefixes: try network.strings("prefixes") ?? [],
                op25b: try network.bool("op25b") ?? true)
            try network.finish()
            return result
        }

        let op25bTable = try table("op25b")
        var op25b = Configuration.OP25B(
            mailHosts: try op25bTable.strings("mail_hosts") ?? [],
            blockedPorts: try op25bTable.ints("blocked_ports", in: 1...65535) ?? [25])
        op25b.collect = try op25bTable.bool("collect") ?? false
        op25b.sampleIntervalSeconds = try op25bTable.int("sample_interval", in: 1...3600) ?? 60
        op25b.countersFile = try op25bTable.string("counters_file").map(resolve)
        op25b.infectedThreshold = try op25bTable.int("infected_threshold", in: 1...100_000_000) ?? 100
        op25b.infectedMinDestinations = try op25bTable.int("infected_min_destinations", in: 0...1_000_000) ?? 10
        op25b.abuseContact = try op25bTable.string("abuse_contact")
        if let contact = op25b.abuseContact, !Reader.isMailAddress(contact) {
            throw KeyProblem(key: "op25b.abuse_contact", message: "\"\(contact)\" is not a mail address (local@domain)")
        }
        try op25bTable.finish()

        let webTable = try table("web")
        var web = Configuration.Web(
            listen: try webTable.listen("listen") ?? [ListenAddress(host: "127.0.0.1", port: 8080)],
            trustedProxies: try webTable.strings("trusted_proxies") ?? [],
            publicHost: try webTable.string("public_host"))
        web.proxyProtocol = try webTable.bool("proxy_protocol") ?? false
        if let publicHost = web.publicHost, !Reader.isHostName(publicHost) {
            throw KeyProblem(key: "web.public_host", message: "\"\(publicHost)\" is not a host name")
        }
        try webTable.finish()

        let clientTable = try table("client_settings")
        let clientSettings = try clientTable.clientSettings(defaultHost: web.publicHost ?? hostname)
        try clientTable.finish()

        let abuseTable = try table("abuse")
        let abuse = try abuseTable.abuse(hostname: hostname, resolve: resolve)
        try abuseTable.finish()

        let spoolTable = try table("spool")
        let spool = try spoolTable.spoolSettings()
        try spoolTable.finish()

        let mailboxTable = try table("mailbox")
        let mailbox = try mailboxTable.mailboxSettings()
        try mailboxTable.finish()

        let pop3Table = try table("pop3")
        let pop3 = try pop3Table.pop3Settings(mailStore: mailbox.store)
        try pop3Table.finish()

        let processTable = try table("process")
        let process = try processTable.processSettings()
        try processTable.finish()

        let metricsTable = try table("metrics")
        let metrics = try metricsTable.metricsSettings()
        try metricsTable.finish()

        try finish()
        // A PROXY header is believed from the trusted proxies only: with none, nobody could
        // reach a listener that requires one.
        let proxyListeners = [("smtp", smtp.proxyProtocol), ("submission", submission.proxyProtocol),
                              ("pop3", pop3.proxyProtocol), ("web", web.proxyProtocol)]
        if limits.trustedProxies.isEmpty, let (table, _) = proxyListeners.first(where: { $0.1 }) {
            throw KeyProblem(key: "\(table).proxy_protocol",
                             message: "is true but limits.trusted_proxies is empty; list the load balancers' addresses there (e.g. trusted_proxies = [\"10.0.0.0/24\"])")
        }
        var configuration = Configuration(
            hostname: hostname, dataDirectory: dataDirectory, tls: tls, directory: directory,
            smtp: smtp, submission: submission, limits: limits, delivery: delivery,
            accessNetworks: accessNetworks, op25b: op25b, web: web, clientSettings: clientSettings,
            abuse: abuse)
        configuration.spool = spool
        configuration.process = process
        configuration.pop3 = pop3
        configuration.mailbox = mailbox
        configuration.metrics = metrics
        if configuration.op25b.abuseContact == nil {
            configuration.op25b.abuseContact = abuse.postmaster
        }
        return configuration
    }
}
