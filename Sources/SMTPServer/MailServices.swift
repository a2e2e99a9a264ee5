import DKIM
import Directory
import Logging
import NIOCore
import Policy
import SMTPCore
import Spool

/// The decisions of a session, made from the directory, the OP25B policy and the spool.
///
/// - Submission (587/465): the account must own the envelope sender and every From: address;
///   any recipient may be reached, but a hosted address must exist.
/// - Port 25: clients inside an access network may relay anywhere; everyone else may only
///   reach hosted domains (RelayPolicy); unknown local users get 550 5.1.1.
/// A directory failure is a 4xx (STYLE.md: a failing directory never causes a 5xx).
/// With an ``AbuseGuard``, the abuse controls of issue 6 (rate limits, AUTH failure defence,
/// compromised-account hold) are consulted at each step.
public final class MailServices: SessionServices {
    private let directory: any AccountDirectory
    private let spool: Spool
    private let policy: OP25BPolicy
    private let logger: Logger
    private let authFailureDelay: AuthFailureDelay
    private let keyRing: DKIMKeyRing?
    private let abuse: AbuseGuard?

    public init(directory: any AccountDirectory, spool: Spool, policy: OP25BPolicy,
                authFailureDelay: AuthFailureDelay = AuthFailureDelay(base: .seconds(1)),
                keyRing: DKIMKeyRing? = nil, abuse: AbuseGuard? = nil, logger: Logger) {
        self.keyRing = keyRing
        self.abuse = abuse
        self.directory = directory
        self.spool = spool
        self.policy = policy
        self.authFailureDelay = authFailureDelay
        self.logger = logger
    }

    public func verifyCredentials(username: String, password: Secret, context: SessionContext,
                                  on eventLoop: EventLoop) -> EventLoopFuture<AuthOutcome> {
        let directory = self.directory
        let logger = self.logger
        let delays = self.authFailureDelay
        let abuse = self.abuse
        return eventLoop.makeFutureWithTask {
            do {
                if let abuse {
                    let gate = try await abuse.authenticationGate(username: username, client: context.clientAddress)
                    if gate != .proceed {
                        logger.notice("AUTH refused without verification", metadata: ["gate": .string("\(gate)")])
                        return .temporaryFailure
                    }
                }
                switch try await directory.authenticate(username: username, password: Password(bytes: password.bytes)) {
                case .success(let account):
                    delays.recordSuccess(client: context.clientAddress)
                    try await abuse?.recordAuthenticationSuccess(account: account.address, client: context.clientAddress)
                    return .success(account: account.address)
                case .invalidCredentials, .disabled:
                    try await abuse?.recordAuthenticationFailure(username: username, client: context.clientAddress)
                    // RFC 4954 §4 leaves the delay to the server; it grows with repeated failures.
                    let delay = delays.recordFailure(client: context.clientAddress)
                    try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
                    return .failure
                }
            } catch {
                logger.error("directory failure during AUTH", metadata: ["error": .string("\(error)")])
                return .temporaryFailure
            }
        }
    }

    public func admitConnection(context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Reply?> {
        guard let abuse else { return eventLoop.makeSucceededFuture(nil) }
        return eventLoop.makeFutureWithTask {
            await abuse.admitConnection(client: context.clientAddress, service: context.service)
        }
    }

    public func checkSender(_ sender: ReversePath, _ parameters: MailParameters, context: SessionContext,
                            on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>> {
        let abuse = self.abuse
        guard context.service != .relay else {
            guard let abuse else { return eventLoop.makeSucceededFuture(.success(())) }
            return guarded(on: eventLoop) {
                if let refusal = try await abuse.checkSender(context: context) { return .failure(refusal) }
                return .success(())
            }
        }
        guard let account = context.authenticatedAccount else {
            return eventLoop.makeSucceededFuture(.failure(Reply.authRequired))
        }
        guard case .mailbox(let mailbox) = sender else {
            return eventLoop.makeSucceededFuture(.failure(Reply.senderNotOwned(allowed: account)))
        }
        let directory = self.directory
        return guarded(on: eventLoop) {
            guard try await directory.mayAccount(account, sendAs: mailbox.string) else {
                return .failure(Reply.senderNotOwned(allowed: account))
            }
            if let refusal = try await abuse?.checkSender(context: context) { return .failure(refusal) }
            return .success(())
        }
    }

    public func checkRecipient(_ recipient: ForwardPath, _ parameters: RcptParameters, context: SessionContext,
                               on eventLoop: EventLoop) -> EventLoopFuture<Result<Void, Reply>> {
        // RFC 5321 §4.5.1: <Postmaster> is always accepted.
        guard case .mailbox(let mailbox) = recipient else { return eventLoop.makeSucceededFuture(.success(())) }
        let directory = self.directory
        let policy = self.policy
        let abuse = self.abuse
        return guarded(on: eventLoop) {
            let verdict = try await Self.validateRecipient(mailbox, context: context, directory: directory, policy: policy)
            guard case .success = verdict, let abuse else { return verdict }
            switch try await abuse.admitRecipient(context: context) {
            case .accepted: return .success(())
            case .refused(let reply): return .failure(reply)
            }
        }
    }

    /// Whether `mailbox` is a recipient this session may use (relay rules, hosted users).
    private static func validateRecipient(_ mailbox: Mailbox, context: SessionContext, directory: any AccountDirectory,
                                          policy: OP25BPolicy) async throws -> Result<Void, Reply> {
        // The same notion of "hosted" as RelayPolicy: no address literals, no trailing dot,
        // ASCII case folding only.
        let hosted: Bool
        if let key = RelayPolicy.hostedDomainKey(mailbox.domain.text) {
            hosted = try await directory.isHostedDomain(key)
        } else {
            hosted = false
        }
        if context.service == .relay {
            guard let client = IPAddress(parsing: context.clientAddress) else { return .failure(Reply.relayDenied) }
            let decision = RelayPolicy.decide(
                client: client, recipientLocalPart: mailbox.localPart, recipientDomain: mailbox.domain.text,
                isHostedDomain: { _ in hosted }, policy: policy)
            switch decision {
            case .denied: return .failure(Reply.relayDenied)
            case .relay where !hosted: return .success(())
            case .relay, .local: break
            }
        } else if !hosted {
            // Authenticated submission may send anywhere.
            return .success(())
        }
        switch try await directory.resolveRecipient(mailbox.string) {
        case .unknownUser, .notHosted: return .failure(Reply.mailboxUnavailable)
        case .local: return .success(())
        }
    }

    public func beginMessage(context: SessionContext) throws -> any MessageSink {
        SpoolSink(writer: try spool.beginMessage())
    }

    /// Mail from hosted domains is signed when it comes from someone entitled to use them: an
    /// authenticated submission client (whose From: is checked at commit) or a client of the
    /// ISP's own access networks on port 25. Inbound mail from elsewhere is never signed.
    public func dkimSigner(fromDomain domain: String, context: SessionContext) -> DKIMSigner? {
        guard let keyRing else { return nil }
        if context.service.isSubmission {
            guard context.authenticatedAccount != nil else { return nil }
        } else {
            guard let client = IPAddress(parsing: context.clientAddress), policy.accessNetwork(containing: client) != nil else {
                return nil
            }
        }
        return keyRing.signer(for: domain)
    }

    public func commitMessage(_ sink: any MessageSink, envelope: Envelope, headers: HeaderSummary, prefix: [UInt8],
                              context: SessionContext, on eventLoop: EventLoop) -> EventLoopFuture<Result<String, Reply>> {
        guard let spoolSink = sink as? SpoolSink else {
            return eventLoop.makeSucceededFuture(.failure(Reply.localError))
        }
        let directory = self.directory
        let abuse = self.abuse
        let logger = self.logger
        let spoolEnvelope = SpoolEnvelope(envelope, context: context)
        return guarded(on: eventLoop) {
            if context.service != .relay, let account = context.authenticatedAccount {
                // RFC 6409 §8: the submission server checks the message's author.
                guard !headers.fromAddresses.isEmpty else { return .failure(Reply.missingFrom) }
                for address in headers.fromAddresses where try await !directory.mayAccount(account, sendAs: address) {
                    return .failure(Reply.senderNotOwned(allowed: account).with(text: "From: <\(address)> is not yours; use <\(account)>"))
                }
            }
            // A suspended account's mail is accepted but held (issue 6): it is not dropped, and
            // the client is not taught which messages got through.
            let held = try await abuse?.mustHold(context: context) ?? false
            let id = try await spoolSink.writer.commit(envelope: spoolEnvelope, prefix: prefix, held: held)
            if held {
                logger.warning("message held: account suspended", metadata: [
                    "queue_id": .string(id.description), "account": .string(context.authenticatedAccount ?? ""),
                ])
            }
            do {
                try await abuse?.messageQueued(context: context)
            } catch {
                // The message is safe on disk: a counter failure must not turn its 250 into a 4xx.
                logger.error("cannot count the queued message", metadata: ["error": .string("\(error)")])
            }
            return .success(id.description)
        }
    }

    /// Runs an async decision; an unexpected error becomes a 4xx so the client retries later.
    private func guarded<T: Sendable>(on eventLoop: EventLoop, _ body: @escaping @Sendable () async throws -> Result<T, Reply>) -> EventLoopFuture<Result<T, Reply>> {
        let logger = self.logger
        return eventLoop.makeFutureWithTask {
            do {
                return try await body()
            } catch let error as ReplyConvertible {
                return .failure(error.reply)
            } catch {
                logger.error("internal failure", metadata: ["error": .string("\(error)")])
                return .failure(Reply.localError)
            }
        }
    }
}

/// A spool writer seen as the session's message sink.
final class SpoolSink: MessageSink, Sendable {
    let writer: SpoolWriter
    init(writer: SpoolWriter) { self.writer = writer }
    var queueID: String { writer.id.description }
    func write(_ bytes: [UInt8]) throws { try writer.write(bytes) }
    func abort() { writer.abort() }
}

extension SpoolEnvelope {
    init(_ envelope: Envelope, context: SessionContext) {
        self.init(
            sender: envelope.sender.mailbox?.string ?? "",
            recipients: envelope.recipients.map { recipient in
                SpoolRecipient(
                    address: recipient.path.mailbox?.string ?? "postmaster",
                    notify: recipient.parameters.notify?.keywords,
                    orcpt: recipient.parameters.originalRecipient.map { "\($0.addressType);\($0.address)" })
            },
            dsnRet: envelope.mailParameters.ret?.keyword,
            envid: envelope.mailParameters.envelopeID,
            body: envelope.mailParameters.body?.keyword,
            smtputf8: envelope.mailParameters.smtpUTF8,
            clientAddress: context.clientAddress,
            heloName: envelope.heloName,
            authenticatedAccount: context.authenticatedAccount,
            service: "\(context.service)")
    }
}
