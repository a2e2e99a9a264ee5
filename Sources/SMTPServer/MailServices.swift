import Abuse
import DKIM
import Directory
import Logging
import NIOCore
import Policy
import SMTPCore
import Spool
import Synchronization

/// The decisions of a session, made from the directory, the OP25B policy and the spool.
///
/// - Submission (587/465): the account must own the envelope sender and every From: address;
///   any recipient may be reached, but a hosted address must exist.
/// - Port 25: clients inside an access network may relay anywhere; everyone else may only
///   reach hosted domains (RelayPolicy); unknown local users get 550 5.1.1. A port-25 session
///   that authenticated (after STARTTLS) follows the submission rules instead.
/// A directory failure is a 4xx.
/// With an ``AbuseGuard``, the abuse controls (rate limits, AUTH failure defence,
/// compromised-account hold) are consulted at each step.
///
/// Given a ``CachedDirectory`` and a guard on a ``BufferedAbuseStore``, connection, MAIL and
/// RCPT are answered on the channel's event loop (a succeeded future) whenever everything they
/// need is in memory; a miss starts a task as before.
public final class MailServices: SessionServices {
    private let directory: any AccountDirectory
    /// The directory again when it caches look-ups: the synchronous paths.
    private let cache: CachedDirectory?
    private let spool: Spool
    private let currentPolicy: Mutex<OP25BPolicy>
    /// The access networks in force now (each decision takes them once).
    private var policy: OP25BPolicy { currentPolicy.withLock { $0 } }
    private let logger: Logger
    private let login: PasswordLogin
    private let keyRing: DKIMKeyRing?
    private let abuse: AbuseGuard?

    /// - Parameter login: the password check, shared with the POP3 service (the server passes
    ///   its one ``PasswordLogin``); nil checks against `directory` with a one-second failure delay.
    public init(directory: any AccountDirectory, spool: Spool, policy: OP25BPolicy, login: PasswordLogin? = nil,
                keyRing: DKIMKeyRing? = nil, abuse: AbuseGuard? = nil, logger: Logger) {
        self.keyRing = keyRing
        self.abuse = abuse
        self.directory = directory
        self.cache = directory as? CachedDirectory
        self.spool = spool
        self.currentPolicy = Mutex(policy)
        self.login = login ?? PasswordLogin(directory: directory, abuse: abuse,
                                            delays: AuthFailureDelay(base: .seconds(1)), logger: logger)
        self.logger = logger
    }

    /// Applies new access networks and OP25B settings (`portcullis reload`) to the relay
    /// decisions made from now on.
    public func update(policy: OP25BPolicy) {
        currentPolicy.withLock { $0 = policy }
    }

    public func verifyCredentials(username: String, password: Secret, context: SessionContext,
                                  on eventLoop: EventLoop) -> EventLoopFuture<AuthOutcome> {
        let login = self.login
        return eventLoop.makeFutureWithTask {
            switch await login.verify(username: username, password: password, client: context.clientAddress) {
            case .success(let account): return .success(account: account)
            case .invalidCredentials, .disabled: return .failure
            case .refused, .unavailable: return .temporaryFailure
            }
        }
    }

    public func admitConnection(context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Reply?> {
        guard let abuse else { return eventLoop.makeSucceededFuture(nil) }
        switch abuse.admitConnection(client: context.clientAddress, service: context.service) {
        case .immediate(let reply):
            return eventLoop.makeSucceededFuture(reply)
        case .deferred(let work):
            // admitConnection admits on a store failure itself; nothing is left to throw.
            return eventLoop.makeFutureWithTask { (try? await work()) ?? nil }
        }
    }

    public func checkSender(_ sender: ReversePath, _ parameters: MailParameters, context: SessionContext,
                            on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>> {
        // RFC 1870 §6.1, RFC 3463 §3.4 X.3.1: too little disk is a temporary 452 4.3.1 at MAIL,
        // before the client sends the message (the declared SIZE counts too).
        guard spool.freeSpace.hasRoom(for: UInt64(max(parameters.size ?? 0, 0))) else {
            return eventLoop.makeSucceededFuture(.failure(Reply.insufficientStorage))
        }
        let abuse = self.abuse
        let rateCheck: @Sendable () -> Decision<Result<Void, Reply>> = {
            guard let abuse else { return .immediate(.success(())) }
            return abuse.checkSender(context: context.abuse).map { refusal in refusal.map { .failure($0) } ?? .success(()) }
        }
        guard context.followsSubmissionRules else { return future(rateCheck(), context: context, on: eventLoop) }
        guard let account = context.authenticatedAccount else {
            return eventLoop.makeSucceededFuture(.failure(Reply.authRequired))
        }
        guard case .mailbox(let mailbox) = sender else {
            return eventLoop.makeSucceededFuture(.failure(Reply.senderNotOwned(allowed: account)))
        }
        let decision = mayAccount(account, sendAs: mailbox.string).flatMap { owned -> Decision<Result<Void, Reply>> in
            guard owned else { return .immediate(.failure(Reply.senderNotOwned(allowed: account))) }
            return rateCheck()
        }
        return future(decision, context: context, on: eventLoop)
    }

    public func checkRecipient(_ recipient: ForwardPath, _ parameters: RcptParameters, context: SessionContext,
                               on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>> {
        // RFC 5321 §4.5.1: <Postmaster> is always accepted.
        guard case .mailbox(let mailbox) = recipient else { return eventLoop.makeSucceededFuture(.success(())) }
        let abuse = self.abuse
        let decision = validateRecipient(mailbox, context: context).flatMap { verdict -> Decision<Result<Void, Reply>> in
            guard case .success = verdict, let abuse else { return .immediate(verdict) }
            return abuse.admitRecipient(context: context.abuse).map { verdict in
                switch verdict {
                case .accepted: return .success(())
                case .refused(let reply): return .failure(reply)
                }
            }
        }
        return future(decision, context: context, on: eventLoop)
    }

    /// Whether `mailbox` is a recipient this session may use (relay rules, hosted users).
    private func validateRecipient(_ mailbox: Mailbox, context: SessionContext) -> Decision<Result<Void, Reply>> {
        // The same notion of "hosted" as RelayPolicy: no address literals, no trailing dot,
        // ASCII case folding only.
        let hostedKey = RelayPolicy.hostedDomainKey(mailbox.domain.text)
        let hostedDecision = hostedKey.map { isHostedDomain($0) } ?? .immediate(false)
        let policy = self.policy
        return hostedDecision.flatMap { [self] hosted -> Decision<Result<Void, Reply>> in
            if !context.followsSubmissionRules {
                guard let client = IPAddress(parsing: context.clientAddress) else { return .immediate(.failure(Reply.relayDenied)) }
                let decision = RelayPolicy.decide(
                    client: client, recipientLocalPart: mailbox.localPart, recipientDomain: mailbox.domain.text,
                    isHostedDomain: { _ in hosted }, policy: policy)
                switch decision {
                case .denied: return .immediate(.failure(Reply.relayDenied))
                case .relay where !hosted: return .immediate(.success(()))
                case .relay, .local: break
                }
            } else if !hosted {
                // An authenticated account may send anywhere.
                return .immediate(.success(()))
            }
            return resolveRecipient(mailbox.string).map { resolution in
                switch resolution {
                case .unknownUser, .notHosted: return .failure(Reply.mailboxUnavailable)
                case .local: return .success(())
                }
            }
        }
    }

    // MARK: Directory look-ups, from the cache when it has the answer

    private func isHostedDomain(_ key: String) -> Decision<Bool> {
        if let cache, case .hit(let hosted) = cache.cachedIsHostedDomain(key) { return .immediate(hosted) }
        let directory = self.directory
        return .deferred { try await directory.isHostedDomain(key) }
    }

    private func resolveRecipient(_ address: String) -> Decision<RecipientResolution> {
        if let cache, case .hit(let resolution) = cache.cachedResolution(of: address) { return .immediate(resolution) }
        let directory = self.directory
        return .deferred { try await directory.resolveRecipient(address) }
    }

    private func mayAccount(_ account: String, sendAs address: String) -> Decision<Bool> {
        if let cache, case .hit(let owned) = cache.cachedMayAccount(account, sendAs: address) { return .immediate(owned) }
        let directory = self.directory
        return .deferred { try await directory.mayAccount(account, sendAs: address) }
    }

    public func beginMessage(context: SessionContext) throws -> any MessageSink {
        SpoolSink(writer: try spool.beginMessage())
    }

    /// A message is signed with its From: domain's key only when the session authenticated
    /// (submission, or port 25 after STARTTLS and AUTH) and the From: address is one the account
    /// owns. The second half is ``commitMessage``'s author check: it refuses, with 553 5.7.1, a
    /// message whose From: the account does not own, using ``mayAccount(_:sendAs:)`` as MAIL
    /// FROM does, so a signature never leaves with such a message.
    ///
    /// Unauthenticated mail is never signed: inbound mail, and also port-25 relay from the
    /// access networks, where anyone on a subscriber line (an infected machine included) could
    /// otherwise write any hosted domain in From: and have it signed.
    public func dkimSigner(fromDomain domain: String, context: SessionContext) -> DKIMSigner? {
        guard let keyRing, context.authenticatedAccount != nil else { return nil }
        return keyRing.signer(for: domain)
    }

    public func commitMessage(_ sink: any MessageSink, envelope: Envelope, headers: HeaderSummary, prefix: [UInt8],
                              context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Result<String, Reply>> {
        let spoolEnvelope = SpoolEnvelope(envelope, context: context)
        // A suspended account's mail is accepted but held: it is not dropped, and the client
        // is not taught which messages got through.
        var admission: Decision<Result<Bool, Reply>> = (abuse?.mustHold(context: context.abuse) ?? .immediate(false)).map { .success($0) }
        if context.followsSubmissionRules, let account = context.authenticatedAccount {
            // RFC 6409 §8: the submission server checks the message's author. This check is
            // also what entitles the message to its DKIM signature (dkimSigner).
            guard !headers.fromAddresses.isEmpty else { return eventLoop.makeSucceededFuture(.failure(Reply.missingFrom)) }
            // Each From: address in order, then the hold; the first address not owned refuses.
            for address in headers.fromAddresses.reversed() {
                let next = admission
                admission = mayAccount(account, sendAs: address).flatMap { owned in
                    owned ? next : .immediate(.failure(
                        Reply.senderNotOwned(allowed: account).with(text: "From: <\(address)> is not yours; use <\(account)>")))
                }
            }
        }
        // Answered from memory, the checks cost no task: the future is already succeeded.
        return future(admission, context: context, on: eventLoop).flatMap { [self] admitted in
            switch admitted {
            case .failure(let reply): return eventLoop.makeSucceededFuture(.failure(reply))
            case .success(let held): return commit(sink, envelope: spoolEnvelope, prefix: prefix, held: held, context: context, on: eventLoop)
            }
        }
    }

    /// Commits the message and counts it. An unheld commit completes through the spool's
    /// completion handler, so the 250 needs no task; a held one writes its marker first (async).
    private func commit(_ sink: any MessageSink, envelope: SpoolEnvelope, prefix: [UInt8], held: Bool, context: SessionContext,
                        on eventLoop: EventLoop) -> EventLoopFuture<Result<String, Reply>> {
        let committed = eventLoop.makePromise(of: QueueID.self)
        if held {
            committed.completeWithTask { try await sink.commit(envelope: envelope, prefix: prefix, held: true) }
        } else {
            sink.commit(envelope: envelope, prefix: prefix) { committed.completeWith($0) }
        }
        let logger = self.logger
        return committed.futureResult.flatMap { [self] id -> EventLoopFuture<Result<String, Reply>> in
            if held {
                logger.warning("message held: account suspended", metadata: [
                    "queue_id": .string(id.description), "account": .string(context.authenticatedAccount ?? ""),
                ])
            }
            // Counted only once the message is durable.
            let counted = abuse?.messageQueued(context: context.abuse).recover { error in
                // The message is safe on disk: a counter failure must not turn its 250 into a 4xx.
                logger.error("cannot count the queued message", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            } ?? .immediate(())
            return future(counted.map { .success(id.description) }, context: context, on: eventLoop)
        }.recover { error in
            .failure(Self.reply(for: error, context: context, logger: logger))
        }
    }

    /// A decision as a future: already succeeded when it is immediate, else a task (through
    /// ``guarded(context:on:_:)``).
    private func future<T: Sendable>(_ decision: Decision<Result<T, Reply>>, context: SessionContext,
                                     on eventLoop: EventLoop) -> EventLoopFuture<Result<T, Reply>> {
        switch decision {
        case .immediate(let result): return eventLoop.makeSucceededFuture(result)
        case .deferred(let work): return guarded(context: context, on: eventLoop, work)
        }
    }

    /// Runs an async decision; an unexpected error becomes a 4xx so the client retries later.
    private func guarded<T: Sendable>(context: SessionContext, on eventLoop: EventLoop,
                                      _ body: @escaping @Sendable () async throws -> Result<T, Reply>) -> EventLoopFuture<Result<T, Reply>> {
        let logger = self.logger
        return eventLoop.makeFutureWithTask {
            do {
                return try await body()
            } catch {
                return .failure(Self.reply(for: error, context: context, logger: logger))
            }
        }
    }

    /// The reply for an error (``Reply/failure(_:sessionID:)``), logged with the session ID.
    private static func reply(for error: any Error, context: SessionContext, logger: Logger) -> Reply {
        let reply = Reply.failure(error, sessionID: context.sessionID)
        logger.error("session failure", metadata: [
            "session": .string(context.sessionID), "error": .stringConvertible(LoggedText(describing: error)),
            "reply": .stringConvertible(LoggedText(reply.description)),
        ])
        return reply
    }
}

/// A spool writer seen as the session's message sink.
final class SpoolSink: MessageSink {
    private let writer: SpoolWriter
    init(writer: SpoolWriter) { self.writer = writer }
    var queueID: String { writer.id.description }
    func write(_ bytes: [UInt8]) throws { try writer.write(bytes) }
    func abort() { writer.abort() }

    func commit(envelope: SpoolEnvelope, prefix: [UInt8], held: Bool) async throws -> QueueID {
        try await writer.commit(envelope: envelope, prefix: prefix, held: held)
    }

    func commit(envelope: SpoolEnvelope, prefix: [UInt8], completion: @escaping @Sendable (Result<QueueID, any Error>) -> Void) {
        writer.commit(envelope: envelope, prefix: prefix, completion: completion)
    }
}

extension SpoolEnvelope {
    init(_ envelope: Envelope, context: SessionContext) {
        self.init(
            sender: envelope.sender,
            recipients: envelope.recipients.map { recipient in
                SpoolRecipient(path: recipient.path, notify: recipient.parameters.notify,
                               originalRecipient: recipient.parameters.originalRecipient)
            },
            ret: envelope.mailParameters.ret,
            envelopeID: envelope.mailParameters.envelopeID,
            body: envelope.mailParameters.body,
            smtputf8: envelope.mailParameters.smtpUTF8,
            clientAddress: context.clientAddress,
            heloName: envelope.heloName,
            authenticatedAccount: context.authenticatedAccount,
            origin: .received(context.service))
    }
}
