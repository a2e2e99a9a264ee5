import AbuseTestSupport
import Directory
import Foundation
import Logging
import PostgresDirectory
import SMTPCore
@testable import Abuse
import Spool
import TestSupport
import Testing

/// Two servers, each with its own abuse guard and write-behind buffer as `serve` wires them,
/// on one PostgreSQL directory: failed logins, blocks and per-account limits hold for both.
@Suite struct TwoServerAbuseTests {
    /// One server's abuse side: the guard on its own buffer in front of its own connection pool.
    struct Node {
        let directory: PostgresDirectory
        let buffer: BufferedAbuseStore
        let guardian: AbuseGuard
    }

    func withTwoNodes(_ body: (Node, Node, TestClock) async throws -> Void) async throws {
        let server = try await PostgresServer.shared()
        let database = try server.createDatabase()
        let settings = PostgresDirectorySettings(host: server.host, port: server.port, user: server.user,
                                                 password: server.password, database: database, tls: .disable, poolSize: 4)
        let clock = TestClock()
        let path = NSTemporaryDirectory() + "portcullis-two-server-abuse-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let spool = try Spool(directory: path + "/spool")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        func node() throws -> Node {
            let directory = try PostgresDirectory(settings: settings)
            let buffer = BufferedAbuseStore(wrapping: directory, counters: AbuseRules.bufferedCounters(smallAbuseSettings()),
                                            clock: { clock.now })
            let guardian = AbuseGuard(
                store: buffer, settings: smallAbuseSettings(), policy: try AbuseFixture.policy(), clock: clock.clock,
                notifier: SuspensionNotifier(spool: spool, hostname: "mail.alato.example", postmaster: "postmaster@alato.example"),
                logger: logger)
            return Node(directory: directory, buffer: buffer, guardian: guardian)
        }
        let a = try node(), b = try node()
        defer {
            spool.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        try await a.directory.migrate()
        try await a.directory.addDomain("alato.example", kind: .primary)
        try await a.directory.addUser("taro@alato.example", password: Password("right-password"))
        do {
            try await body(a, b, clock)
        } catch {
            await a.directory.shutdown()
            await b.directory.shutdown()
            throw error
        }
        await a.directory.shutdown()
        await b.directory.shutdown()
    }

    @Test("failed logins spread over two servers block the address and lock the account on both")
    func failedLoginsAcrossServers() async throws {
        try await withTwoNodes { a, b, clock in
            let attacker = "203.0.113.66"
            // The limit is 4: two failures on each server.
            for node in [a, b, a, b] {
                try await node.guardian.recordAuthenticationFailure(username: "taro@alato.example", client: attacker)
            }
            // Cached "not blocked" answers are trusted for at most 2 seconds.
            clock.advance(seconds: 3)
            for node in [a, b] {
                #expect(try await node.guardian.authenticationGate(username: "taro@alato.example", client: attacker) == .addressBlocked)
                #expect(try await node.guardian.authenticationGate(username: "taro@alato.example", client: "203.0.113.77") == .accountLocked)
            }
        }
    }

    @Test("messages sent through two servers count against one hourly limit once the buffers are flushed")
    func messageLimitAcrossServers() async throws {
        try await withTwoNodes { a, b, clock in
            let context = AbuseContext(clientAddress: "198.51.100.7", service: .submission, authenticatedAccount: "taro@alato.example")
            // The limit is 3 an hour: two through A, one through B.
            for node in [a, a, b] {
                #expect(try await node.guardian.checkSender(context: context).value == nil)
                try await node.guardian.messageQueued(context: context).value
            }
            // Each server's flush (every second in `serve`) writes its counts and reads the other's.
            try await a.buffer.flush()
            try await b.buffer.flush()
            try await a.buffer.flush()
            clock.advance(seconds: 1)
            for node in [a, b] {
                #expect(try await node.guardian.checkSender(context: context).value?.code == 450)
            }
        }
    }
}
