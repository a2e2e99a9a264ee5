import Abuse
import Assembly
import DKIM
import Directory
import Foundation
import Instruments
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import POP3Server
import Policy
import SelfSigned
import SMTPCore
@testable import SMTPServer
import ServerSupport
import Spool
import TestSupport
import Testing

/// A real server on loopback port 0, in a temp directory: the production ``ServiceGraph`` (the
/// directory behind its cache, the abuse guard on its buffer) on a SQLite directory and a spool,
/// with the abuse clock in the test's hand.
final class TestServer: @unchecked Sendable {
    let directoryPath: String
    /// The database; writes here stand for another process's (the CLI, another server).
    let directory: any AccountDirectory & AbuseStore
    let spool: Spool
    let graph: ServiceGraph
    let clock: TestClock
    var listener: SMTPListener { graph.listener }
    let ports: [ServiceKind: Int]
    /// The POP3 listeners: STLS, and implicit TLS.
    let pop3Port: Int
    let pop3sPort: Int
    /// `<directoryPath>/mailboxes`, where the POP3 service reads.
    var mailboxRoot: String { directoryPath + "/mailboxes" }
    let tlsContext: NIOSSLContext

    struct Options {
        var maxRecipients = 100
        var maxMessageSize = 1_000_000
        var maxErrors = 10
        var commandTimeout: TimeAmount = .seconds(30)
        var maxPerClient = 50
        var accessNetworks = ["127.0.0.1/32"]
        var greetPause: Duration = .zero
        /// Domains given an Ed25519 DKIM key (signing is on when not empty).
        var dkimDomains: [String] = []
        /// Where the server logs; nil: nowhere.
        var logHandler: (any LogHandler)?
        /// The abuse limits (the production defaults unless a test says otherwise).
        var abuse = AbuseSettings()
        var authFailureDelay: Duration = .milliseconds(20)
        /// Whether the session path answers from memory, as in production.
        var answersFromMemory = true
        /// The abuse clock.
        var clock = TestClock()
        /// The POP3 autologout timer.
        var pop3IdleTimeout: TimeAmount = .seconds(600)
        /// The directory and abuse store (empty); nil: an SQLite file in the server's folder.
        var directory: (any AccountDirectory & AbuseStore)?
        /// Every listener requires a PROXY header from 127.0.0.1 (the test client's address).
        var proxyProtocol = false
        /// What the sessions count (`[metrics]`).
        var instruments = PortcullisInstruments.disabled
    }

    init(_ options: Options = Options()) async throws {
        directoryPath = NSTemporaryDirectory() + "portcullis-server-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directoryPath, withIntermediateDirectories: true)
        directory = try options.directory ?? SQLiteDirectory(path: directoryPath + "/directory.sqlite")
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addUser("taro@alato.example", password: Password("right-password"))
        spool = try Spool(directory: directoryPath + "/spool")
        let policy = try OP25BPolicy(
            accessNetworks: [AccessNetworkSpec(name: "test", prefixes: options.accessNetworks, op25b: true)],
            mailHosts: [], blockedPorts: [25], exemptions: [])
        let certificate = try TestCertificate.make()
        tlsContext = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(certificate.certificate)], privateKey: .privateKey(certificate.key)))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        if let handler = options.logHandler { logger = Logger(label: "test") { _ in handler } }
        for domain in options.dkimDomains {
            try DKIMKeyStore(dataDirectory: URL(fileURLWithPath: directoryPath))
                .generate(domain: domain, selector: "test", type: .ed25519)
        }
        let keyRing = options.dkimDomains.isEmpty ? nil : DKIMKeyRing(dataDirectory: directoryPath)
        let smtp = SMTPListener.Settings(
            hostname: "mail.alato.example", maxMessageSize: options.maxMessageSize, maxRecipients: options.maxRecipients,
            maxErrors: options.maxErrors, commandTimeout: options.commandTimeout, dataTimeout: .seconds(600),
            shutdownGrace: .seconds(30), tlsContext: tlsContext, greetPause: options.greetPause)
        var settings = ServiceGraph.Settings(
            abuse: options.abuse, postmaster: "postmaster@alato.example", smtp: smtp,
            listeners: [ListenerSpec(host: "127.0.0.1", port: 0, service: .relay, proxyProtocol: options.proxyProtocol),
                        ListenerSpec(host: "127.0.0.1", port: 0, service: .submission, proxyProtocol: options.proxyProtocol),
                        ListenerSpec(host: "127.0.0.1", port: 0, service: .submissionImplicitTLS,
                                     proxyProtocol: options.proxyProtocol)],
            maxConnections: 1000, maxConnectionsPerClient: options.maxPerClient, authFailureDelay: options.authFailureDelay)
        settings.answersFromMemory = options.answersFromMemory
        settings.instruments = options.instruments
        settings.pop3 = POP3Listener.Settings(hostname: "mail.alato.example", tlsContext: tlsContext,
                                              idleTimeout: options.pop3IdleTimeout, maxErrors: options.maxErrors,
                                              shutdownGrace: .seconds(30))
        settings.pop3Listeners = [POP3ListenerSpec(host: "127.0.0.1", port: 0, service: .pop3, proxyProtocol: options.proxyProtocol),
                                  POP3ListenerSpec(host: "127.0.0.1", port: 0, service: .pop3s, proxyProtocol: options.proxyProtocol)]
        if options.proxyProtocol {
            settings.proxyProtocol = ProxyProtocolSettings(trustedProxies: [try IPPrefix("127.0.0.1/32")], headerDeadline: .seconds(1))
        }
        settings.mailboxRoot = directoryPath + "/mailboxes"
        let clock = options.clock
        self.clock = clock
        let graph = ServiceGraph(directory: directory, abuseStore: directory, spool: spool, policy: policy, settings: settings,
                                 keyRing: keyRing, clock: AbuseClock { clock.now }, group: MultiThreadedEventLoopGroup.singleton,
                                 logger: logger)
        self.graph = graph
        let bound = try await graph.listener.bind()
        ports = [.relay: bound[0].port!, .submission: bound[1].port!, .submissionImplicitTLS: bound[2].port!]
        let pop3Bound = try await graph.pop3Listener!.bind()
        pop3Port = pop3Bound[0].port!
        pop3sPort = pop3Bound[1].port!
    }

    func stop() {
        listener.shutdown()
        graph.pop3Listener?.shutdown()
        spool.close()
        try? FileManager.default.removeItem(atPath: directoryPath)
    }

    func queuedCount() throws -> Int { try spool.list().count }

    func connect(_ service: ServiceKind) async throws -> TestClient {
        try await TestClient.connect(port: ports[service]!, implicitTLS: service == .submissionImplicitTLS)
    }

    /// Connects to the port-25 service and sends EHLO, consuming greeting and EHLO reply.
    func relaySession() async throws -> TestClient {
        let client = try await connect(.relay)
        #expect(await client.code() == 220)
        try await client.send("EHLO client.example.net\r\n")
        #expect(await client.code() == 250)
        return client
    }

    /// Connects to the implicit-TLS submission service, sends EHLO and AUTH PLAIN as taro,
    /// consuming greeting, EHLO and 235.
    func submissionSession() async throws -> TestClient {
        let client = try await connect(.submissionImplicitTLS)
        #expect(await client.code() == 220)
        try await client.send("EHLO c\r\nAUTH PLAIN \(Base64.encode(Array("\0taro@alato.example\0right-password".utf8)))\r\n")
        #expect(await client.code() == 250)
        #expect(await client.code() == 235)
        return client
    }
}

/// A throwaway self-signed certificate for the test server.
enum TestCertificate {
    static func make() throws -> (certificate: NIOSSLCertificate, key: NIOSSLPrivateKey) {
        let pem = try SelfSignedCertificate.make(hostname: "mail.alato.example")
        return (try NIOSSLCertificate(bytes: Array(pem.certificate.utf8), format: .pem),
                try NIOSSLPrivateKey(bytes: Array(pem.privateKey.utf8), format: .pem))
    }
}
