import DNS
import Delivery
import Directory
import Foundation
import Instruments
import MaildirStore
import Logging
import NIOPosix
import SMTPCore
import Spool

/// A data directory with a spool, a SQLite directory (alato.example hosted, taro and
/// hanako accounts) and a queue manager whose clock the test controls.
final class QueueFixture: @unchecked Sendable {
    let dataDirectory: String
    let spool: Spool
    let directory: SQLiteDirectory
    let manager: QueueManager
    let clock: TestClock

    /// SHA-512-crypt of "secret" (openssl passwd -6): accounts only need to exist here.
    static let hash = "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."

    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var now = Date()
        func advance(_ seconds: TimeInterval) { lock.withLock { now += seconds } }
        func read() -> Date { lock.withLock { now } }
    }

    let log = LogRecorder()

    init(routes: [String: String], resolver: any DNSResolving = FakeResolver(),
         instruments: DeliveryInstruments = PortcullisInstruments.disabled.delivery,
         threads: DeliveryThreads? = nil,
         configure: (inout DeliverySettings) -> Void = { _ in }) async throws {
        dataDirectory = NSTemporaryDirectory() + "portcullis-queue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        spool = try Spool(directory: "\(dataDirectory)/spool")
        directory = try SQLiteDirectory(path: "\(dataDirectory)/directory.sqlite")
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addUser("taro@alato.example", passwordHash: Self.hash)
        try await directory.addUser("hanako@alato.example", passwordHash: Self.hash)
        try await directory.addAlias("team@alato.example", target: "hanako@alato.example")
        try await directory.addAlias("team@alato.example", target: "friend@example.net")
        var settings = DeliverySettings(hostname: "mail.alato.example", dataDirectory: dataDirectory, routes: routes)
        settings.timeouts = .uniform(.seconds(10))
        configure(&settings)
        let clock = TestClock()
        self.clock = clock
        manager = try QueueManager(spool: spool, directory: directory, settings: settings, resolver: resolver,
                                   group: threads?.group ?? MultiThreadedEventLoopGroup.singleton, executor: threads,
                                   logger: Logger(label: "test", factory: { [log] _ in log }),
                                   clock: { clock.read() }, instruments: instruments)
    }

    /// Commits a message to the spool as the SMTP server would.
    @discardableResult
    func submit(from sender: String, to recipients: [String], notify: [String]? = nil, orcpt: String? = nil,
                body: String, dsnRet: String? = nil, envid: String? = nil) async throws -> QueueID {
        let writer = try spool.beginMessage()
        try writer.write(Array(body.utf8))
        // The test arguments are written as on the wire: NOTIFY keywords, ORCPT `type;xtext`.
        let notify = notify.flatMap(DSNNotify.init(keywords:))
        let original = orcpt.flatMap(OriginalRecipient.init(xtext:))
        let envelope = SpoolEnvelope(
            sender: sender.isEmpty ? .null : .mailbox(mailbox(sender)),
            recipients: recipients.map {
                // RFC 5321 §4.5.1: the bare `<Postmaster>`, with no domain.
                SpoolRecipient(path: $0 == "<Postmaster>" ? .postmaster : .mailbox(mailbox($0)),
                               notify: notify, originalRecipient: original)
            },
            ret: dsnRet.flatMap(DSNReturn.init(rawValue:)), envelopeID: envid, arrival: clock.read(),
            clientAddress: "192.0.2.1", origin: .received(.submission))
        return try await writer.commit(envelope: envelope)
    }

    /// Files in a Maildir's new/.
    func maildirMessages(_ account: String) -> [String] {
        guard let path = Maildir.path(root: "\(dataDirectory)/mailboxes", account: account) else { return [] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/new")) ?? []).sorted()
        return names.compactMap { try? String(contentsOfFile: "\(path)/new/\($0)", encoding: .utf8) }
    }

    deinit {
        spool.close()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// A message as a client would submit it.
func sampleMessage(subject: String = "Hello", body: String = "Hi there.\r\n.leading dot\r\n") -> String {
    "From: Taro <taro@alato.example>\r\nTo: someone\r\nSubject: \(subject)\r\nMessage-ID: <\(UUID().uuidString)@alato.example>\r\n\r\n\(body)"
}

/// A log handler that keeps the messages, to count events such as "session opened".
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { messages.append(event.message.description) }
    }

    func count(_ message: String) -> Int {
        lock.withLock { messages.filter { $0 == message }.count }
    }
}

/// A mailbox from test text.
func mailbox(_ text: String) -> Mailbox {
    guard let mailbox = Mailbox(parsing: text) else { fatalError("not a mailbox: \(text)") }
    return mailbox
}

/// Polls `condition` (the test's own polling; the server under test does not poll) for up to
/// 30 s: "at once" is a fraction of a second here, but a whole suite run in parallel on two
/// loaded cores can stall any task for seconds.
func eventually(_ condition: @escaping () -> Bool) async throws -> Bool {
    for _ in 0..<3000 {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
