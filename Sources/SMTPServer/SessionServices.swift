import Abuse
import DKIM
import NIOCore
import SMTPCore
import Spool

/// Facts about one SMTP session that the decisions below need.
public struct SessionContext: Sendable {
    public var sessionID: String
    public var clientAddress: String
    public var service: ServiceKind
    public var authenticatedAccount: String?

    /// True when the session is held to the submission rules: submission, or port 25 after AUTH.
    public var followsSubmissionRules: Bool {
        service.followsSubmissionRules(authenticated: authenticatedAccount != nil)
    }

    /// The session as the abuse rules see it.
    public var abuse: AbuseContext {
        AbuseContext(clientAddress: clientAddress, service: service, authenticatedAccount: authenticatedAccount)
    }
}

/// The decisions a session needs from the rest of the system (directory, policy, spool).
///
/// The session handler calls these when the state machine asks for them and feeds the
/// answer back as an event. Results come back as futures on the channel's event loop; an
/// implementation may answer at once with a succeeded future.
public protocol SessionServices: Sendable {
    /// Before the greeting: nil to greet the client, or a reply (421) to send before closing
    /// (the abuse controls: blocked addresses, connection rate). Input that arrives meanwhile is kept.
    func admitConnection(context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Reply?>
    func verifyCredentials(username: String, password: Secret, context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<AuthOutcome>
    func checkSender(_ sender: ReversePath, _ parameters: MailParameters, context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>>
    func checkRecipient(_ recipient: ForwardPath, _ parameters: RcptParameters, context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>>
    /// Opens a spool entry for the message about to be received.
    func beginMessage(context: SessionContext) throws -> any MessageSink
    /// Final checks on the received message and durable commit: the future succeeds with the
    /// queue ID only once the message is on disk (fsync'd).
    /// `prefix`: header fields to put in front of the message (DKIM-Signature).
    func commitMessage(_ sink: any MessageSink, envelope: Envelope, headers: HeaderSummary, prefix: [UInt8],
                       context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Result<String, Reply>>
    /// The DKIM signer for a message whose From: is in `domain`, or nil to leave it unsigned.
    func dkimSigner(fromDomain domain: String, context: SessionContext) -> DKIMSigner?
}

extension SessionServices {
    /// Admits every connection (services without abuse controls).
    public func admitConnection(context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Reply?> {
        eventLoop.makeSucceededFuture(nil)
    }
}

/// One message on its way into the spool: its bytes are written while DATA or BDAT streams
/// in, then it is committed durably or aborted. `SessionServices.beginMessage` opens it and
/// `commitMessage` commits it through this protocol, whatever store is behind it.
public protocol MessageSink: AnyObject, Sendable {
    /// The queue ID this message will have, known before commit so the Received header can carry it.
    var queueID: String { get }
    func write(_ bytes: [UInt8]) throws
    /// Drops the message. Safe to call more than once, and after a failed commit.
    func abort()
    /// Makes the message durable with `prefix` (header fields computed at the end, such as a
    /// DKIM-Signature) in front; `held`: committed on hold, never visible unheld to delivery.
    func commit(envelope: SpoolEnvelope, prefix: [UInt8], held: Bool) async throws -> QueueID
    /// The unheld commit for callers on an event loop: `completion` runs once the message is
    /// durable (or the commit failed), with no task in between.
    func commit(envelope: SpoolEnvelope, prefix: [UInt8], completion: @escaping @Sendable (Result<QueueID, any Error>) -> Void)
}
