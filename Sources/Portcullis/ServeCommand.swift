import ArgumentParser
import Config
import Directory
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import SMTPCore
import SMTPServer
import ServiceLifecycle
import Spool

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the SMTP services (port 25, submission, submissions) in the foreground.")

    @OptionGroup var location: DataLocation

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError("--log-level \(logLevel): use trace, debug, info, notice, warning or error")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")

        // No flags and no data directory yet: the embedded default is created on first run.
        var created = false
        if location.dataDirectory == nil, location.configFile == nil,
           !FileManager.default.fileExists(atPath: location.file) {
            try DataDirectory.create(at: location.directory, hostname: "localhost")
            created = true
        }
        let configuration = try location.load()
        let policy = try configuration.op25bPolicy(exemptions: [])
        let directory = try configuration.openDirectory()
        let spool: Spool
        do {
            spool = try Spool(directory: configuration.dataDirectory + "/spool")
        } catch {
            throw CLIError("cannot open the spool in \(configuration.dataDirectory)/spool: \(error)")
        }
        let tls: NIOSSLContext
        do {
            tls = try TLSContext.server(
                certificatePath: configuration.tls.certificatePath, privateKeyPath: configuration.tls.privateKeyPath)
        } catch {
            throw CLIError("\(error)")
        }

        let group = MultiThreadedEventLoopGroup.singleton
        guard let abuseStore = directory as? any AbuseStore else {
            throw CLIError("the directory \(configuration.directoryURL) cannot keep the abuse-control counters")
        }
        let abuse = AbuseGuard(
            store: abuseStore, settings: configuration.abuse, policy: policy, clock: configuration.abuseClock(),
            notifier: SuspensionNotifier(spool: spool, hostname: configuration.hostname, postmaster: configuration.abuse.postmaster),
            logger: logger)
        let specs = configuration.smtp.listen.map { ListenerSpec(address: $0, service: .relay) }
            + configuration.submission.listen.map { ListenerSpec(address: $0, service: .submission) }
            + configuration.submission.implicitTLSListen.map { ListenerSpec(address: $0, service: .submissionImplicitTLS) }
        let listener = SMTPListener(
            specs: specs,
            settings: .init(configuration: configuration, tlsContext: tls),
            services: MailServices(
                directory: directory, spool: spool, policy: policy,
                authFailureDelay: AuthFailureDelay(base: .milliseconds(Int64(configuration.limits.authFailureDelayMilliseconds))),
                keyRing: DKIMKeyRing(dataDirectory: configuration.dataDirectory),
                abuse: abuse, logger: logger),
            limiter: ConnectionLimiter(maxTotal: configuration.limits.maxConnections,
                                       maxPerClient: configuration.limits.maxConnectionsPerClient),
            group: group, logger: logger)
        do {
            try await listener.bind()
        } catch {
            throw CLIError("cannot listen: \(error)")
        }

        if created {
            print("""
                Created \(configuration.dataDirectory) (configuration, self-signed TLS certificate, SQLite directory).
                Add a domain and a user:
                  portcullis domain add alato.example
                  echo 'a-long-password' | portcullis user add taro@alato.example --password-stdin
                """)
        }
        for spec in specs {
            print("listening on \(spec.address) (\(spec.service.displayName))")
        }
        print("ready")
        fflush(nil)

        let group2 = ServiceGroup(configuration: .init(
            services: [listener], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group2.run()
    }
}

extension ServiceKind {
    var displayName: String {
        switch self {
        case .relay: return "port-25 service"
        case .submission: return "submission, STARTTLS"
        case .submissionImplicitTLS: return "submissions, implicit TLS"
        }
    }
}

extension Configuration {
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
