import Directory
import Foundation
import Logging
import NIOPosix
import Policy
import SMTPCore
@testable import SMTPServer
import Spool
import Testing

/// A directory that cannot be read answers its own 4xx, never a generic 451 or a 5xx.
@Suite struct DirectoryOutageTests {
    @Test("RCPT during a directory outage: 451 4.4.3")
    func recipientDuringOutage() async throws {
        let path = NSTemporaryDirectory() + "portcullis-outage-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let spool = try Spool(directory: path + "/spool")
        defer {
            spool.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        let policy = try OP25BPolicy(
            accessNetworks: [AccessNetworkSpec(name: "test", prefixes: ["127.0.0.1/32"], op25b: true)],
            mailHosts: [], blockedPorts: [25], exemptions: [])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let services = MailServices(directory: UnreadableDirectory(), spool: spool, policy: policy, logger: logger)
        let context = SessionContext(sessionID: "s1", clientAddress: "192.0.2.1", service: .relay, authenticatedAccount: nil)
        let recipient = try #require(Mailbox(parsing: "taro@alato.example"))
        let result = try await services.checkRecipient(.mailbox(recipient), RcptParameters(), context: context,
                                                       on: MultiThreadedEventLoopGroup.singleton.next()).get()
        #expect(result.failureReply == .directoryUnavailable)
        #expect(result.failureReply?.code == 451)
        #expect(result.failureReply?.enhanced?.description == "4.4.3")
    }

    @Test("errors without a reply of their own become 451 4.3.0 naming the session")
    func unknownErrorNamesTheSession() {
        struct Unexpected: Error {}
        let reply = Reply.failure(Unexpected(), sessionID: "0PK6A0Z5X000A3")
        #expect(reply == .localError(sessionID: "0PK6A0Z5X000A3"))
        #expect(reply.encoded().contains("session 0PK6A0Z5X000A3"))
        #expect(Reply.failure(DirectoryError.storageFailure("disk on fire"), sessionID: "s") == .directoryUnavailable)
        #expect(Reply.failure(SpoolError.io(operation: "write", path: "/x", errno: ENOSPC), sessionID: "s") == .insufficientStorage)
        #expect(Reply.failure(SpoolError.closed, sessionID: "s") == .notAcceptingMessages)
    }
}

private extension Result where Failure == Reply {
    var failureReply: Reply? {
        if case .failure(let reply) = self { return reply }
        return nil
    }
}

/// Every look-up fails as an unreadable database does.
private struct UnreadableDirectory: AccountDirectory {
    private var outage: DirectoryError { .storageFailure("database disk image is malformed") }
    func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain { throw outage }
    func removeDomain(_ name: String) async throws { throw outage }
    func listDomains() async throws -> [HostedDomain] { throw outage }
    func isHostedDomain(_ name: String) async throws -> Bool { throw outage }
    func addUser(_ address: String, password: Password) async throws -> Account { throw outage }
    func addUser(_ address: String, passwordHash: String) async throws -> Account { throw outage }
    func user(_ address: String) async throws -> Account? { throw outage }
    func listUsers(domain: String?) async throws -> [Account] { throw outage }
    func setPassword(_ address: String, password: Password) async throws { throw outage }
    func disableUser(_ address: String) async throws { throw outage }
    func enableUser(_ address: String) async throws { throw outage }
    func removeUser(_ address: String) async throws { throw outage }
    func addAlias(_ alias: String, target: String) async throws -> Alias { throw outage }
    func listAliases() async throws -> [Alias] { throw outage }
    func removeAlias(_ alias: String, target: String?) async throws { throw outage }
    func authenticate(username: String, password: Password) async throws -> AuthenticationResult { throw outage }
    func resolveRecipient(_ address: String) async throws -> RecipientResolution { throw outage }
    func addressesOwned(by account: String) async throws -> [String] { throw outage }
    func mayAccount(_ account: String, sendAs address: String) async throws -> Bool { throw outage }
    func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption { throw outage }
    func listExemptions() async throws -> [OP25BExemption] { throw outage }
    func removeExemption(prefix: String) async throws { throw outage }
}
