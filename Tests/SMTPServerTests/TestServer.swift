import DKIM
import Directory
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import SelfSigned
import SMTPCore
@testable import SMTPServer
import Spool
import Testing

/// A real server (SQLite directory, spool, policy) on loopback port 0, in a temp directory.
final class TestServer: @unchecked Sendable {
    let directoryPath: String
    let directory: SQLiteDirectory
    let spool: Spool
    let listener: SMTPListener
    let ports: [ServiceKind: Int]
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
    }

    init(_ options: Options = Options()) async throws {
        directoryPath = NSTemporaryDirectory() + "portcullis-server-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directoryPath, withIntermediateDirectories: true)
        directory = try SQLiteDirectory(path: directoryPath + "/directory.sqlite")
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
        let settings = SMTPListener.Settings(
            hostname: "mail.alato.example", maxMessageSize: options.maxMessageSize, maxRecipients: options.maxRecipients,
            maxErrors: options.maxErrors, commandTimeout: options.commandTimeout, dataTimeout: .seconds(600),
            shutdownGrace: .seconds(30), tlsContext: tlsContext, greetPause: options.greetPause)
        listener = SMTPListener(
            specs: [ListenerSpec(host: "127.0.0.1", port: 0, service: .relay),
                    ListenerSpec(host: "127.0.0.1", port: 0, service: .submission),
                    ListenerSpec(host: "127.0.0.1", port: 0, service: .submissionImplicitTLS)],
            settings: settings,
            services: MailServices(directory: directory, spool: spool, policy: policy,
                                   authFailureDelay: AuthFailureDelay(base: .milliseconds(20)), keyRing: keyRing,
                                   logger: logger),
            limiter: ConnectionLimiter(maxTotal: 1000, maxPerClient: options.maxPerClient),
            group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let bound = try await listener.bind()
        ports = [.relay: bound[0].port!, .submission: bound[1].port!, .submissionImplicitTLS: bound[2].port!]
    }

    func stop() {
        listener.shutdown()
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
