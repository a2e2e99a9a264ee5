import Abuse
import ArgumentParser
import Assembly
import Config
import DKIM
import DNS
import Delivery
import Directory
import Foundation
import Instruments
import Logging
import MetricsEndpoint
import NIOCore
import NIOPosix
import NIOSSL
import POP3Server
import Policy
import SMTPCore
import SMTPServer
import ServiceLifecycle
import Spool
import UnixSignals
import Web

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the mail services (port 25, submission, submissions, POP3) in the foreground.")

    @OptionGroup var location: DataLocation

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError("--log-level \(logLevel): use trace, debug, info, notice, warning or error")
        }
        LoggingSystem.bootstrap { label in
            LogLineHandler(logLevel: level, label: label)
        }
        let logger = Logger(label: "portcullis")
        // SIGHUP reloads (Reloader); until its handler is in place, one must not end the server.
        signal(SIGHUP, SIG_IGN)

        // No flags and no data directory yet: the embedded default is created on first run.
        var created = false
        if location.dataDirectory == nil, location.configFile == nil,
           !FileManager.default.fileExists(atPath: location.file) {
            try DataDirectory.create(at: location.directory, hostname: "localhost")
            created = true
        }
        let configuration = try location.load()
        let serviceUser = try configuration.serviceUserToBecome()
        let policy = try configuration.op25bPolicy(exemptions: [])
        let directory = try await configuration.openDirectory()
        // `[metrics]`: the instruments count into the exporter's registry; off, they count nothing.
        let exporter = configuration.metrics.listen.isEmpty ? nil : MetricsExporter()
        let instruments = exporter?.instruments ?? .disabled
        let spool: Spool
        do {
            var options = SpoolOptions()
            options.minimumFreeSpace = UInt64(configuration.spool.minFreeSpace)
            options.instruments = instruments.spool
            spool = try Spool(directory: configuration.dataDirectory + "/spool", options: options)
        } catch {
            throw CLIError("cannot open the spool in \(configuration.dataDirectory)/spool: \(error)")
        }
        do {
            // An older install's pause, requests and notice markers, before delivery starts.
            try DeliveryControlMigration.run(dataDirectory: configuration.dataDirectory, spool: spool)
        } catch {
            throw CLIError("cannot move \(configuration.dataDirectory)/delivery into the spool: \(error)")
        }
        let reloadableTLS: ReloadableServerTLS
        do {
            reloadableTLS = try ReloadableServerTLS(
                certificatePath: configuration.tls.certificatePath, privateKeyPath: configuration.tls.privateKeyPath)
        } catch {
            throw CLIError("\(error)")
        }
        let tls = reloadableTLS.context

        let group = MultiThreadedEventLoopGroup.singleton
        guard let abuseStore = directory as? any AbuseStore else {
            throw CLIError("the directory \(configuration.directory.location) cannot keep the abuse-control counters")
        }
        let specs = configuration.smtpListenerSpecs
        var graphSettings = ServiceGraph.Settings(
            abuse: configuration.abuseSettings(), postmaster: configuration.abuse.postmaster,
            smtp: .init(configuration: configuration, tlsContext: tls), listeners: specs,
            maxConnections: configuration.limits.maxConnections,
            maxConnectionsPerClient: configuration.limits.maxConnectionsPerClient,
            authFailureDelay: .milliseconds(Int64(configuration.limits.authFailureDelayMilliseconds)))
        graphSettings.pop3 = .init(configuration: configuration, tlsContext: tls)
        graphSettings.pop3Listeners = configuration.pop3ListenerSpecs
        graphSettings.proxyProtocol = configuration.proxyProtocolSettings
        graphSettings.instruments = instruments
        // Where local delivery writes (DeliverySettings.mailboxRoot), so POP3 reads the same Maildirs.
        graphSettings.mailboxRoot = DeliverySettings(configuration: configuration).mailboxRoot
        // The session path reads counters and directory answers from memory; the
        // flusher writes the counters back every second and at shutdown.
        let graph = ServiceGraph(
            directory: directory, abuseStore: abuseStore, spool: spool, policy: policy,
            settings: graphSettings,
            keyRing: DKIMKeyRing(dataDirectory: configuration.dataDirectory), clock: configuration.abuseClock(),
            group: group, logger: logger)
        do {
            // With a user to become, nothing is accepted before the drop below.
            try await graph.listener.bind(accepting: serviceUser == nil)
            try await graph.pop3Listener?.bind(accepting: serviceUser == nil)
        } catch {
            throw CLIError("cannot listen: \(error)")
        }

        // One resolver (one DNS pool) for delivery and the web's SRV lookups.
        let deliverySettings = DeliverySettings(configuration: configuration)
        let resolver: DNSResolver
        do {
            resolver = DNSResolver(configuration: try deliverySettings.resolverConfiguration())
        } catch {
            throw CLIError("\(location.file): delivery.nameservers: \(error)")
        }
        // Delivery routes through the graph's directory: its hosted-domain answers are cached.
        let queueManager: QueueManager
        // Delivery's own threads, below the listeners' priority; they live as long as the process.
        let deliveryThreads = DeliveryThreads()
        do {
            queueManager = try QueueManager(spool: spool, directory: graph.directory, settings: deliverySettings,
                                            resolver: resolver, group: deliveryThreads.group, executor: deliveryThreads,
                                            logger: logger,
                                            instruments: instruments.delivery)
        } catch {
            throw CLIError("\(location.file): [delivery]: \(error)")
        }
        // The collector's counts live in the directory: a web node shows the infected-line
        // notice whichever server collects them.
        guard let attemptStore = directory as? any OP25BAttemptStore else {
            throw CLIError("the directory \(configuration.directory.location) cannot keep the OP25B attempt counts")
        }
        let collector = configuration.op25bCollector(store: attemptStore, policy: policy, spool: spool, logger: logger)
        let collectorServices: [any Service] = collector.map { [$0] } ?? []
        let infection = OP25BInfectionLookup(store: attemptStore, rule: configuration.op25bInfectionRule,
                                             now: configuration.abuseClock().now)
        // One readiness check, answered by the web's and the metrics listener's /readyz.
        let readiness = ServerReadiness(spool: spool, directory: directory, smtp: graph.listener, pop3: graph.pop3Listener)
        let web: CustomerWeb
        do {
            web = try CustomerWeb(settings: WebSettings(configuration: configuration), policy: policy, directory: directory,
                                  srvLookup: ResolverSRVLookup(resolver: resolver), infection: infection,
                                  readiness: { await readiness.check() }, logger: logger)
        } catch {
            throw CLIError("cannot start the web service: \(error)")
        }
        let webProxyProtocol = configuration.web.proxyProtocol ? configuration.proxyProtocolSettings : nil
        // "ready" (and systemd's READY=1) waits until every web and metrics listener is bound too.
        let httpListening = Countdown(configuration.web.listen.count + configuration.metrics.listen.count)
        let webApplications: [any Service] = configuration.web.listen.map { address in
            buildWebApplication(web: web, logger: logger, host: address.host, port: address.port,
                                proxyProtocol: webProxyProtocol, onListening: { await httpListening.arrive() })
        }

        var metricsApplications: [any Service] = []
        if let exporter {
            // Sampled at each scrape: the queue from the spool, readiness as /readyz answers it.
            let sampled = exporter.sampling([
                { await QueueCensus.sample(spool, into: instruments.queue) },
                { instruments.readiness.record(ready: await readiness.check().isReady) },
            ])
            metricsApplications = configuration.metrics.listen.map { address in
                buildMetricsApplication(exporter: sampled, readiness: { await readiness.check() }, host: address.host,
                                        port: address.port, logger: logger, onListening: { await httpListening.arrive() })
            }
        }

        let systemd = SystemdNotifier()
        let reloader = Reloader(
            signals: await UnixSignalsSequence(trapping: .sighup), location: location, started: configuration,
            tls: reloadableTLS, services: graph.services, abuse: graph.abuse, queueManager: queueManager, web: web,
            systemd: systemd, logger: logger)

        var lines: [String] = []
        if created {
            lines.append("""
                Created \(configuration.dataDirectory) (configuration, self-signed TLS certificate, SQLite directory).
                Add a domain and a user:
                  portcullis domain add alato.example
                  echo 'a-long-password' | portcullis user add taro@alato.example --password-stdin
                """)
        }
        lines += specs.map { "listening on \($0.addressDescription) (\($0.service.displayName))" }
        lines += graphSettings.pop3Listeners.map { "listening on \($0.addressDescription) (\($0.service.displayName))" }
        lines += configuration.web.listen.map { "listening on \($0) (customer web: http://\($0)/)" }
        lines += configuration.metrics.listen.map { "listening on \($0) (metrics: http://\($0)/metrics)" }
        lines.append("ready")

        if let serviceUser {
            // Everything root opened or created at start (spool recovery and migration, the
            // SQLite journal files) is the user's from here on.
            try serviceUser.takeOwnership(of: configuration.dataDirectory)
            try serviceUser.becomeForGood()
            logger.notice("running as an unprivileged user", metadata: [
                "user": .string(serviceUser.name), "uid": .stringConvertible(serviceUser.uid)])
        }

        try PIDFile.write(in: configuration.dataDirectory)
        defer { PIDFile.remove(in: configuration.dataDirectory) }

        // Graceful shutdown stops services in reverse order: the SMTP listeners first (no new
        // mail, sessions drain), the queue manager, and last the abuse counters' final flush.
        let serviceGroup = ServiceGroup(configuration: .init(
            services: graph.groupServices(around: [queueManager, reloader] + webApplications + metricsApplications + collectorServices
                                                  + [ReadyAnnouncer(lines: lines, systemd: systemd, after: httpListening)]),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
    }
}

extension ServiceKind {
    var displayName: String {
        switch self {
        case .relay: return "port-25 service"
        case .submission: return "submission, STARTTLS"
        case .submissionImplicitTLS: return "submissions, implicit TLS"
        case .pop3: return "POP3"
        }
    }
}

extension Configuration {
    /// The user `serve` must become after binding (`[process] user`), or nil: none is set, or
    /// the process already runs as it. Checked before anything is opened.
    func serviceUserToBecome() throws -> ServiceUser? {
        guard let name = process.user else { return nil }
        let user = try ServiceUser.lookup(name)
        guard geteuid() == 0 else {
            if geteuid() == user.uid { return nil }
            throw CLIError("[process] user = \"\(name)\": start serve as root (it binds, then becomes \(name)) or as \(name) itself")
        }
        // The web service binds when it starts, after the drop: a port below 1024 is root's.
        if let low = web.listen.first(where: { $0.port > 0 && $0.port < 1024 }) {
            throw CLIError("[web] listen \(low): a port below 1024 cannot be bound after becoming \(name); use a port from 1024 (behind a proxy) or leave [process] user unset")
        }
        // So does the metrics listener.
        if let low = metrics.listen.first(where: { $0.port > 0 && $0.port < 1024 }) {
            throw CLIError("[metrics] listen \(low): a port below 1024 cannot be bound after becoming \(name); use a port from 1024 or leave [process] user unset")
        }
        return user
    }

    /// The OP25B policy from `[[access_networks]]`, `[op25b]` and the stored exemptions.
    func op25bPolicy(exemptions: [OP25BExemption]) throws -> OP25BPolicy {
        do {
            return try OP25BPolicy(
                accessNetworks: accessNetworks.map { AccessNetworkSpec(name: $0.name, prefixes: $0.prefixes, op25b: $0.op25b) },
                mailHosts: op25b.mailHosts,
                blockedPorts: op25b.blockedPorts,
                exemptions: exemptions.map { ExemptionSpec(prefix: $0.prefix, reason: $0.reason, created: $0.created, until: $0.until) })
        } catch {
            throw CLIError("\(dataDirectory)/portcullis.toml: \(error)")
        }
    }
}

/// Prints where the server listens and "ready" once the service group runs, so that its signal
/// handlers are installed before anyone who waits for "ready" can send SIGTERM; tells systemd
/// the same (`READY=1`), and that it is stopping when shutdown begins.
struct ReadyAnnouncer: Service {
    let lines: [String]
    let systemd: SystemdNotifier
    /// The listeners that bind when their service starts (the web's and the metrics').
    let after: Countdown

    func run() async throws {
        await after.wait()
        for line in lines { print(line) }
        fflush(nil)
        systemd.ready(status: "accepting mail")
        // A service that returns ends the group; this one waits for the shutdown.
        try? await gracefulShutdown()
        systemd.stopping()
    }
}

/// Waits until a number of things have happened (each web listener bound).
actor Countdown {
    private var remaining: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { remaining = count }

    func arrive() {
        remaining -= 1
        guard remaining <= 0 else { return }
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    func wait() async {
        guard remaining > 0 else { return }
        await withCheckedContinuation { waiters.append($0) }
    }
}
