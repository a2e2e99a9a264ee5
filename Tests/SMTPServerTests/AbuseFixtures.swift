import Config
import Directory
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import SMTPCore
@testable import SMTPServer
import Spool

/// A clock the tests move by hand: windows of an hour or a day pass without sleeping.
final class TestClock: Sendable {
    private let current = NIOLockedValueBox(Date(timeIntervalSince1970: 1_800_000_000))

    var now: Date { current.withLockedValue { $0 } }
    var clock: AbuseClock { AbuseClock { self.now } }

    func advance(seconds: Double) {
        current.withLockedValue { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Small limits, so each scenario needs little traffic.
func smallAbuseSettings() -> Configuration.Abuse {
    var settings = Configuration.Abuse()
    settings.messagesPerHour = 3
    settings.recipientsPerDay = 8
    settings.connectionsPerMinute = 5
    settings.authFailureLimit = 4
    settings.authFailureWindowSeconds = 600
    settings.authLockoutSeconds = 900
    settings.burstWindowSeconds = 600
    settings.burstMinimumRecipients = 6
    settings.burstFactor = 10
    settings.burstBaselineHours = 24
    settings.postmaster = "postmaster@alato.example"
    return settings
}

/// How the guard reaches the store: directly (every decision is a database call) or through
/// the server's write-behind buffer and caches. Behaviour must be the same.
enum AbuseStoreKind: String, CaseIterable, Sendable {
    case direct
    case buffered
}

/// A directory with taro@alato.example, a spool, and an AbuseGuard on a test clock.
final class AbuseFixture: @unchecked Sendable {
    let path: String
    let directory: SQLiteDirectory
    let spool: Spool
    let clock = TestClock()
    let guardian: AbuseGuard
    let settings: Configuration.Abuse
    let kind: AbuseStoreKind
    /// The store the guard uses: the directory, or the buffer in front of it. Writes that stand
    /// for this server's own go here; writes to `directory` stand for another process's.
    let store: any AbuseStore
    /// The buffer, when `kind` is `.buffered`.
    let buffer: BufferedAbuseStore?

    init(_ settings: Configuration.Abuse = smallAbuseSettings(), store kind: AbuseStoreKind = .direct) async throws {
        path = NSTemporaryDirectory() + "portcullis-abuse-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        directory = try SQLiteDirectory(path: path + "/directory.sqlite")
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addUser("taro@alato.example", password: Password("right-password"))
        spool = try Spool(directory: path + "/spool")
        self.settings = settings
        self.kind = kind
        switch kind {
        case .direct:
            buffer = nil
            store = directory
        case .buffered:
            let clock = self.clock
            let buffer = BufferedAbuseStore(wrapping: directory, counters: AbuseGuard.bufferedCounters(settings),
                                            clock: { clock.now })
            self.buffer = buffer
            store = buffer
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        guardian = AbuseGuard(
            store: store, settings: settings, policy: try Self.policy(), clock: clock.clock,
            notifier: SuspensionNotifier(spool: spool, hostname: "mail.alato.example", postmaster: settings.postmaster),
            logger: logger)
    }

    /// The directory the sessions use: cached like the server's when the store is buffered.
    var sessionDirectory: any AccountDirectory {
        guard kind == .buffered else { return directory }
        let clock = self.clock
        return CachedDirectory(directory, clock: { clock.now })
    }

    static func policy() throws -> OP25BPolicy {
        try OP25BPolicy(accessNetworks: [AccessNetworkSpec(name: "test", prefixes: ["127.0.0.1/32", "198.51.100.0/24"], op25b: true)],
                        mailHosts: [], blockedPorts: [25], exemptions: [])
    }

    func remove() {
        spool.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The spooled messages' envelopes with their hold state.
    func queued() throws -> [(envelope: SpoolEnvelope, held: Bool, id: QueueID)] {
        try spool.list().map { (try spool.envelope(of: $0.id), $0.isHeld, $0.id) }
    }
}

/// A real server (all three services on loopback port 0) using the fixture's guard.
final class AbuseServer: @unchecked Sendable {
    let fixture: AbuseFixture
    let listener: SMTPListener
    let ports: [ServiceKind: Int]

    init(_ fixture: AbuseFixture, maxRecipients: Int = 100) async throws {
        self.fixture = fixture
        let certificate = try TestCertificate.make()
        let tls = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(certificate.certificate)], privateKey: .privateKey(certificate.key)))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        listener = SMTPListener(
            specs: [ListenerSpec(host: "127.0.0.1", port: 0, service: .relay),
                    ListenerSpec(host: "127.0.0.1", port: 0, service: .submission),
                    ListenerSpec(host: "127.0.0.1", port: 0, service: .submissionImplicitTLS)],
            settings: SMTPListener.Settings(
                hostname: "mail.alato.example", maxMessageSize: 26_214_400, maxRecipients: maxRecipients, maxErrors: 10,
                commandTimeout: .seconds(300), dataTimeout: .seconds(600), shutdownGrace: .seconds(30),
                tlsContext: tls, greetPause: .zero),
            services: MailServices(directory: fixture.sessionDirectory, spool: fixture.spool, policy: try AbuseFixture.policy(),
                                   authFailureDelay: AuthFailureDelay(base: .milliseconds(1)), abuse: fixture.guardian,
                                   logger: logger),
            limiter: ConnectionLimiter(maxTotal: 1000, maxPerClient: 1000),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let bound = try await listener.bind()
        ports = [.relay: bound[0].port!, .submission: bound[1].port!, .submissionImplicitTLS: bound[2].port!]
    }

    func stop() {
        listener.shutdown()
        fixture.remove()
    }

    func connect(_ service: ServiceKind) async throws -> TestClient {
        try await TestClient.connect(port: ports[service]!, implicitTLS: service == .submissionImplicitTLS)
    }

    /// Implicit TLS, greeting, EHLO and AUTH PLAIN; returns the client and the AUTH reply.
    func login(_ user: String = "taro@alato.example", _ password: String = "right-password") async throws -> (TestClient, String) {
        let client = try await connect(.submissionImplicitTLS)
        let greeting = await client.reply() ?? ""
        guard greeting.hasPrefix("220") else { return (client, greeting) }
        try await client.send("EHLO client.example.net\r\n")
        _ = await client.reply()
        let token = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
        try await client.send("AUTH PLAIN \(token)\r\n")
        return (client, await client.reply() ?? "")
    }
}

/// A short message from taro.
func tinyMessage(_ subject: String = "hi") -> String {
    "From: <taro@alato.example>\r\nTo: <x@example.net>\r\nSubject: \(subject)\r\n\r\nHello.\r\n.\r\n"
}
