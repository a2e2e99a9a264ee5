import Abuse
import Config
import Delivery
import Foundation
import Logging
import Policy
import SMTPCore
import SMTPServer
import ServiceLifecycle
import UnixSignals
import Web

/// SIGHUP (`portcullis reload`, systemd's ExecReload, a log-rotation script): reads the
/// configuration again and applies what can change while the server runs, as Postfix's
/// `postfix reload` and Dovecot's `doveadm reload` do.
///
/// Applied to what starts afterwards (new connections, new decisions, new deliveries): the TLS
/// certificate and key (same paths), `[[access_networks]]` and `[op25b]`, the `[abuse]`
/// numbers, `[delivery] routes`, `[client_settings]` and `[web] public_host`/`trusted_proxies`.
/// DKIM keys need no signal: they are re-read when a domain's key folder changes.
///
/// All or nothing: a configuration that does not load, or a certificate that does not, is
/// refused with the reason logged, and everything in force stays. Keys that only a restart
/// changes are named in the log when they differ from what the server started with.
struct Reloader: Service {
    let signals: UnixSignalsSequence
    let location: DataLocation
    let started: Configuration
    let tls: ReloadableServerTLS
    let services: MailServices
    let abuse: AbuseGuard
    let queueManager: QueueManager
    let web: CustomerWeb
    let systemd: SystemdNotifier
    let logger: Logger

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            systemd.reloading()
            reload()
            systemd.ready(status: "accepting mail")
        }
    }

    private func reload() {
        let configuration: Configuration
        let policy: OP25BPolicy
        let routing: RoutingTable
        do {
            configuration = try location.load()
            policy = try configuration.op25bPolicy(exemptions: [])
            routing = try RoutingTable(routes: configuration.delivery.routes, smtpPort: started.delivery.smtpPort)
            try tls.reload()
        } catch {
            logger.error("reload refused; the configuration in force stays", metadata: [
                "reason": "\(LoggedText(describing: error))"])
            return
        }
        services.update(policy: policy)
        abuse.update(settings: configuration.abuseSettings(), policy: policy)
        queueManager.update(routing: routing)
        web.update(settings: WebSettings(configuration: configuration), policy: policy)
        let pending = Self.restartOnlyChanges(from: started, to: configuration)
        if !pending.isEmpty {
            logger.warning("changed keys take effect only after a restart", metadata: [
                "keys": "\(pending.joined(separator: ", "))"])
        }
        logger.notice("configuration reloaded", metadata: [
            "applied": "tls certificate, access_networks, op25b, abuse, delivery.routes, client_settings, web"])
    }

    /// The keys a running server cannot change (listeners, the data it holds open, identities),
    /// where `new` differs from `old`.
    static func restartOnlyChanges(from old: Configuration, to new: Configuration) -> [String] {
        var keys: [String] = []
        func compare<Value: Equatable>(_ key: String, _ path: KeyPath<Configuration, Value>) {
            if old[keyPath: path] != new[keyPath: path] { keys.append(key) }
        }
        compare("hostname", \.hostname)
        compare("tls.certificate", \.tls.certificatePath)
        compare("tls.private_key", \.tls.privateKeyPath)
        compare("directory", \.directory)
        compare("smtp", \.smtp)
        compare("submission", \.submission)
        compare("limits", \.limits)
        compare("pop3", \.pop3)
        compare("mailbox", \.mailbox)
        compare("spool", \.spool)
        compare("process", \.process)
        compare("metrics", \.metrics)
        compare("web.listen", \.web.listen)
        compare("web.proxy_protocol", \.web.proxyProtocol)
        compare("abuse.postmaster", \.abuse.postmaster)
        compare("abuse.clock_offset_file", \.abuse.clockOffsetFile)
        // The collector and the checker's notice are built once, at start.
        compare("op25b.collect", \.op25b.collect)
        compare("op25b.sample_interval", \.op25b.sampleIntervalSeconds)
        compare("op25b.counters_file", \.op25b.countersFile)
        compare("op25b.infected_threshold", \.op25b.infectedThreshold)
        compare("op25b.infected_min_destinations", \.op25b.infectedMinDestinations)
        compare("op25b.abuse_contact", \.op25b.abuseContact)
        var oldDelivery = old.delivery, newDelivery = new.delivery
        oldDelivery.routes = [:]
        newDelivery.routes = [:]
        if oldDelivery != newDelivery { keys.append("delivery (all but routes)") }
        return keys
    }
}

/// `DATA_DIR/portcullis.pid`: the running server's process ID, for `portcullis reload`.
enum PIDFile {
    static func path(in dataDirectory: String) -> String { dataDirectory + "/portcullis.pid" }

    /// Writes this process's ID (replacing a file a killed server left).
    static func write(in dataDirectory: String) throws {
        do {
            try "\(getpid())\n".write(toFile: path(in: dataDirectory), atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write \(path(in: dataDirectory)): \(error)")
        }
    }

    /// Removes the file if it still names this process.
    static func remove(in dataDirectory: String) {
        if (try? read(in: dataDirectory)) == getpid() { unlink(path(in: dataDirectory)) }
    }

    static func read(in dataDirectory: String) throws -> pid_t {
        let file = path(in: dataDirectory)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw CLIError("no server is running on \(dataDirectory): \(file) does not exist (start it with `portcullis serve`)")
        }
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            throw CLIError("\(file) does not hold a process ID")
        }
        return pid
    }
}
