import Abuse
import AbuseTestSupport
import Directory
import Foundation
import Logging
import Policy
import Spool
import TestSupport

extension TestClock {
    var clock: AbuseClock { AbuseClock { self.now } }
}

/// A directory with taro@alato.example, a spool, and an AbuseGuard on a test clock.
final class AbuseFixture: @unchecked Sendable {
    let path: String
    let directory: SQLiteDirectory
    let spool: Spool
    let clock = TestClock()
    let guardian: AbuseGuard
    let settings: AbuseSettings
    /// The store the guard uses: the directory, or the buffer in front of it. Writes that stand
    /// for this server's own go here; writes to `directory` stand for another process's.
    let store: any AbuseStore
    /// The buffer, when the store is buffered.
    let buffer: BufferedAbuseStore?

    init(_ settings: AbuseSettings = smallAbuseSettings(), store kind: AbuseStoreKind = .direct) async throws {
        path = NSTemporaryDirectory() + "portcullis-abuse-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        directory = try SQLiteDirectory(path: path + "/directory.sqlite")
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addUser("taro@alato.example", password: Password("right-password"))
        spool = try Spool(directory: path + "/spool")
        self.settings = settings
        switch kind {
        case .direct:
            buffer = nil
            store = directory
        case .buffered:
            let clock = self.clock
            let buffer = BufferedAbuseStore(wrapping: directory, counters: AbuseRules.bufferedCounters(settings),
                                            clock: { clock.now })
            self.buffer = buffer
            store = buffer
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        guardian = AbuseGuard(
            store: store, settings: settings, policy: try Self.policy(), clock: clock.clock,
            notifier: SuspensionNotifier(spool: spool, hostname: "mail.alato.example", postmaster: "postmaster@alato.example"),
            logger: logger)
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
