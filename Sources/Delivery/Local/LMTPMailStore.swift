import Logging
import NIOCore
import SMTPCore
import Spool
import Synchronization

/// Local mail handed to an LMTP server (RFC 2033), Dovecot's LMTP service in a cluster: one
/// connection and one transaction per message, every mailbox a recipient of it, and each
/// mailbox's own reply after the data (one may be over quota while another took the message).
///
/// ```
/// S: 220 dovecot.example LMTP ready
/// C: LHLO mx1.alato.example
/// C: MAIL FROM:<taro@example.net> SIZE=1234 BODY=8BITMIME
/// C: RCPT TO:<hanako@alato.example>
/// C: RCPT TO:<jiro@alato.example>
/// C: DATA
/// C: …
/// S: 250 2.0.0 <hanako@alato.example> Saved
/// S: 452 4.2.2 <jiro@alato.example> Quota exceeded
/// ```
///
/// Connections are kept open between messages (at most ``maximumConnections``, each used by
/// one delivery at a time), as Postfix's LMTP client caches them: a connection and LHLO per
/// message cost the mailbox server a third of its throughput.
///
/// A mailbox's result is the server's reply: 2yz delivered (the final delivery, so a
/// NOTIFY=SUCCESS gets its DSN here), 4yz deferred, 5yz failed. No answer, a broken connection
/// or a timeout defers every mailbox without a reply yet: the queue tries again, never bounces
/// because the mailbox tier was down.
public struct LMTPMailStore: MailStore {
    /// The LMTP server.
    public let endpoint: LMTPEndpoint
    /// The name sent in LHLO.
    public let clientName: String
    private let group: any EventLoopGroup
    private let timeouts: SMTPClientTimeouts
    private let limiter: ConnectionLimiter
    private let idle = IdleConnections(capacity: LMTPMailStore.maximumConnections)
    private let logger: Logger

    /// Connections open to the server at once; more deliveries wait for one to close.
    public static let maximumConnections = 10

    /// Creates a store delivering to `endpoint`.
    public init(endpoint: LMTPEndpoint, clientName: String, group: any EventLoopGroup,
                timeouts: SMTPClientTimeouts = .rfc5321, logger: Logger) {
        self.endpoint = endpoint
        self.clientName = clientName
        self.group = group
        self.timeouts = timeouts
        self.limiter = ConnectionLimiter(global: Self.maximumConnections, perDestination: Self.maximumConnections)
        self.logger = logger
    }

    public func store(_ source: MessageSource, envelope: SpoolEnvelope, mailboxes: [String]) async -> [RecipientResult] {
        // A stored address that is not a mailbox fails alone; the others are delivered.
        var results = mailboxes.map { RecipientResult(kind: .failed, reply: .noSuchLocalUser($0)) }
        let recipients = mailboxes.enumerated().compactMap { index, mailbox in
            Mailbox(parsing: mailbox).map { OutboundMessage.Recipient(address: $0, index: index) }
        }
        guard !recipients.isEmpty else { return results }
        let sender = envelope.sender
        let message = OutboundMessage(
            sender: sender, recipients: recipients, source: source, size: envelope.size, body: envelope.body,
            requiresSMTPUTF8: envelope.smtputf8 || sender.needsSMTPUTF8 || recipients.contains { $0.address.needsSMTPUTF8 })
        let key = endpoint.description
        await limiter.acquire(key)
        let delivered = await deliver(message)
        await limiter.release(key)
        for (recipient, result) in zip(recipients, delivered) { results[recipient.index] = result }
        return results
    }

    private func deliver(_ message: OutboundMessage) async -> [RecipientResult] {
        let name = endpoint.description
        let deferAll = { (reply: Reply) in message.recipients.map { _ in RecipientResult(kind: .deferred, reply: reply) } }
        // An idle connection may have been closed by the server meanwhile (its idle timeout):
        // one that fails is replaced by a new one, once.
        if let reused = idle.take() {
            if let results = try? await SMTPTransaction.run(message, on: reused) {
                return finished(results, on: reused)
            }
            reused.close()
        }
        let connection: SMTPClientConnection
        do {
            connection = try await SMTPClientConnection.connect(
                to: try socketAddress(), peerDescription: name, hostName: name, group: group, timeouts: timeouts)
        } catch {
            logger.warning("LMTP server unreachable", metadata: ["lmtp": "\(name)", "error": "\(LoggedText(describing: error))"])
            return deferAll(.noAnswer("LMTP \(error)"))
        }
        do {
            let greeting = try await connection.readGreeting()
            guard greeting.code == 220 else {
                await connection.quit()
                return deferAll(Self.transient(greeting))
            }
            let hello = try await connection.lmtpHello(clientName: clientName)
            guard hello.isPositive else {
                await connection.quit()
                return deferAll(Self.transient(hello))
            }
            return finished(try await SMTPTransaction.run(message, on: connection), on: connection)
        } catch {
            logger.warning("LMTP session failed", metadata: ["lmtp": "\(name)", "error": "\(LoggedText(describing: error))"])
            connection.close()
            return deferAll(.connectionBroken("LMTP \(name): \(error)"))
        }
    }

    /// Keeps the connection for the next message (LMTP ends each transaction with the replies,
    /// so it is ready for the next MAIL), and maps the results.
    private func finished(_ results: [RecipientResult], on connection: SMTPClientConnection) -> [RecipientResult] {
        if connection.isActive { idle.put(connection) } else { connection.close() }
        // Final delivery happened there: a delivered result carries no Remote-MTA, so a
        // NOTIFY=SUCCESS is answered here (RFC 3461 §5.2.2), as for a Maildir.
        return results.map { result in
            result.kind == .delivered ? RecipientResult(kind: .delivered, reply: result.reply) : result
        }
    }

    /// A greeting or LHLO refusal defers: the server is busy or misconfigured, not the mailbox.
    private static func transient(_ reply: Reply) -> Reply {
        reply.isPermanentFailure ? .undescribedTransientFailure("LMTP server refused the session: \(reply)") : reply
    }

    private func socketAddress() throws -> SocketAddress {
        switch endpoint {
        case .tcp(let address, let port): return try SocketAddress(ipAddress: address, port: port)
        case .unix(let path): return try SocketAddress(unixDomainSocketPath: path)
        }
    }
}

/// Open LMTP connections waiting for the next message, newest last.
private final class IdleConnections: Sendable {
    private let connections = Mutex<[SMTPClientConnection]>([])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// An open connection, or nil.
    func take() -> SMTPClientConnection? {
        connections.withLock { list in
            while let connection = list.popLast() {
                if connection.isActive { return connection }
                connection.close()
            }
            return nil
        }
    }

    func put(_ connection: SMTPClientConnection) {
        let full = connections.withLock { list -> Bool in
            guard list.count < capacity else { return true }
            list.append(connection)
            return false
        }
        if full { connection.close() }
    }
}
