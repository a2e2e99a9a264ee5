import Instruments
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import SMTPCore
import ServerSupport

/// Drives one SMTP session on its channel's event loop. It decides nothing itself: input goes
/// through an `SMTPInputFramer`, framed events go to the `SessionStateMachine` (the protocol) and
/// channel events to the `SMTPConnectionStateMachine` (greet pause, pending decisions, STARTTLS
/// handshake, shutdown, back-pressure), and the handler performs the actions both return. The
/// message being received is a `MessageReception`.
///
/// While a decision is pending (admission, credentials, sender, recipient, commit), input stays
/// buffered in the framer: pipelined commands (RFC 2920) are handled in order, one at a time.
/// Whether input is already buffered behind a DATA line is passed to the session, which refuses
/// content sent before the 354 on unauthenticated sessions.
final class SMTPSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var configuration: SessionConfiguration
        var tlsContext: NIOSSLContext?
        var commandTimeout: TimeAmount
        var dataTimeout: TimeAmount
        var hostname: String
        var instruments: SMTPInstruments
    }

    /// RFC 5321 §4.5.3.1.4: 512 octets including CRLF; extensions (SIZE, DSN, SMTPUTF8
    /// parameters) may extend it, so allow a generous multiple as Postfix does (2048).
    static let maxCommandLine = 2048
    /// RFC 4954 §4: an AUTH command line or SASL response may be up to 12288 octets.
    static let maxAuthLine = 12288

    private let settings: Settings
    private let services: any SessionServices
    private let limiter: ConnectionLimiter
    private var logger: Logger
    private var machine: SessionStateMachine
    private var connection = SMTPConnectionStateMachine()
    private var framer = SMTPInputFramer(maxLineLength: SMTPSessionHandler.maxCommandLine)
    private var sessionContext: SessionContext
    /// The message between its 354 (or first BDAT chunk) and its commit.
    private var reception: MessageReception?
    /// Learnt at the handshake; for implicit TLS the session started secure without it.
    private var tlsInfo: TLSInfo?
    private var timeout: Scheduled<Void>?
    private var greetPauseTimer: Scheduled<Void>?
    /// The input loop is running: a decision completing inside it must not start a second one.
    private var processing = false
    /// Replies written and not yet flushed (RFC 2920 §3.2: replies to pipelined commands go out
    /// together).
    private var needsFlush = false

    init(settings: Settings, services: any SessionServices, limiter: ConnectionLimiter, logger: Logger,
         sessionID: String, origin: ClientOrigin, tlsActive: Bool) {
        self.settings = settings
        self.services = services
        self.limiter = limiter
        self.logger = logger
        self.machine = SessionStateMachine(configuration: settings.configuration, tlsActive: tlsActive)
        self.sessionContext = SessionContext(
            sessionID: sessionID, clientAddress: origin.address, service: settings.configuration.service, authenticatedAccount: nil)
        self.logger[metadataKey: "session"] = .string(sessionID)
        self.logger[metadataKey: "client"] = .string(origin.address)
        if let proxy = origin.proxy { self.logger[metadataKey: "proxy"] = .string(proxy) }
    }

    // MARK: Channel events

    /// Behind a PROXY header the handler is added once the channel is already active.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context: context)
    }

    private func opened(context: ChannelHandlerContext) {
        let verdict = limiter.acquire(client: sessionContext.clientAddress)
        settings.instruments.connectionOpened()
        if verdict == .accepted {
            settings.instruments.sessionStarted()
            logger.info("session opened", metadata: ["service": .string("\(sessionContext.service)")])
        } else {
            logger.notice("connection refused: limit reached")
        }
        perform(connection.opened(verdict), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(connection.closed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        perform(connection.received(), received: bytes, context: context)
    }

    /// Sent by the listener on graceful shutdown.
    struct ShutdownRequested {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ShutdownRequested {
            perform(connection.shutdownRequested(atCommandLine: framer.isAtCommandLine, transactionOpen: machine.hasTransaction),
                    context: context)
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
            // swift-nio-ssl does not expose the negotiated cipher suite; the version is what we can report.
            let info = TLSInfo(version: version.map(Self.describe) ?? "TLS", cipher: "")
            tlsInfo = info
            logger.info("tls established", metadata: ["tls": .string(info.version)])
            perform(connection.handshakeCompleted(), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.info("session error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        close(context: context)
    }

    // MARK: Connection actions

    /// `received`: the octets of a `.bufferInput`; `decision`: what `.completeDecision` runs.
    private func perform(_ actions: [SMTPConnectionStateMachine.Action], received: ByteBuffer? = nil,
                         decision: (() -> Void)? = nil, context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .admit:
                armTimeout(context: context)
                // The greeting waits for the abuse controls (blocked address, connection rate).
                awaitDecision(services.admitConnection(context: sessionContext, on: context.eventLoop),
                              context: context, fallback: nil) { handler, refusal in
                    guard let refusal else { return handler.machine.start() }
                    handler.logger.notice("connection refused", metadata: ["reply": .string(refusal.description)])
                    handler.refuseConnection(refusal, context: context)
                    return []
                }
                flushIfNeeded(context: context)
            case .send(let reply):
                send(reply, context: context)
            case .cancelTimers:
                timeout?.cancel()
                // A client that hangs up during greet_pause: its handler need not wait for the timer.
                greetPauseTimer?.cancel()
            case .cancelGreetPause:
                greetPauseTimer?.cancel()
            case .abortMessage:
                reception?.abort()
                reception = nil
            case .releaseSlot:
                limiter.release(client: sessionContext.clientAddress)
                settings.instruments.sessionEnded()
                logger.info("session closed")
            case .bufferInput:
                if let received { framer.append(received.readableBytesView) }
            case .armTimeout:
                armTimeout(context: context)
            case .readInput:
                processInput(context: context)
            case .scheduleGreetPause(let duration):
                // A timer on the event loop: other sessions go on meanwhile.
                greetPauseTimer = context.scheduleTask(in: .nanoseconds(Self.nanoseconds(duration)), handler: self) { handler, context in
                    handler.perform(handler.connection.greetPauseTimerFired(), context: context)
                }
            case .greetPauseElapsed:
                perform(machine.greetPauseElapsed(), context: context)
            case .clientTalkedFirst:
                framer.discardBuffered()
                logger.notice("connection refused", metadata: ["reply": .string(Reply.talkedBeforeGreeting.description),
                                                               "reason": "pregreet"])
                perform(machine.clientTalkedFirst(), context: context)
            case .flush:
                flushIfNeeded(context: context)
            case .beginHandshake:
                beginHandshake(context: context)
            case .tlsEstablished:
                if let tlsInfo { perform(machine.tlsEstablished(tlsInfo), context: context) }
            case .completeDecision:
                decision?()
            case .timedOut:
                logger.notice("timeout")
                perform(machine.timedOut(), context: context)
            case .close:
                flushIfNeeded(context: context)
                context.close(promise: nil)
                return
            case .pauseReading:
                // A client that pipelines without reading replies: stop reading until we catch up.
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            case .resumeReading:
                context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            }
        }
    }

    // MARK: Input

    private func processInput(context: ChannelHandlerContext) {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while connection.mayReadInput {
            if connection.phase == .greetPause {
                guard framer.bufferedCount > 0 else { break }
                perform(connection.inputDuringGreetPause(), context: context)
                continue
            }
            framer.maxLineLength = machine.isInAuthExchange ? Self.maxAuthLine : Self.maxCommandLine
            guard let event = framer.next() else { break }
            handle(event, context: context)
        }
        perform(connection.inputProcessed(buffered: framer.bufferedCount, atCommandLine: framer.isAtCommandLine,
                                          transactionOpen: machine.hasTransaction),
                context: context)
    }

    private func handle(_ event: SMTPInputFramer.Event, context: ChannelHandlerContext) {
        switch event {
        case .line(let line):
            let actions = machine.receivedLine(line, moreInputBuffered: framer.bufferedCount > 0)
            if actions.contains(.send(Reply.pipeliningViolation)) {
                logger.notice("session refused", metadata: ["reply": .string(Reply.pipeliningViolation.description),
                                                            "reason": "content before 354"])
            }
            if actions.contains(.send(Reply.proxyHeaderNotTrusted)) {
                logger.notice("session refused", metadata: ["reply": .string(Reply.proxyHeaderNotTrusted.description),
                                                            "reason": "PROXY header from an address not in trusted_proxies"])
            }
            perform(actions, context: context)
        case .lineTooLong:
            perform(machine.lineTooLong(), context: context)
        case .bareLineEnding:
            perform(machine.bareLineEnding(), context: context)
        case .content(let bytes):
            reception?.write(bytes)
        case .dataEnded(let size, let error):
            let outcome = reception?.finishData(size: size, error: error)
                ?? error.map { DataOutcome.rejected($0.reply) } ?? .complete(size: size)
            if case .rejected = outcome { reception = nil }
            perform(countingRefusal(machine.dataFinished(outcome)), context: context)
        case .chunkEnded(let last, let forbidden):
            let outcome = reception?.finishChunk(last: last, forbidden: forbidden)
                ?? forbidden.map { ChunkOutcome.forbiddenContent($0) } ?? .complete
            if case .rejected = outcome { reception = nil }
            perform(countingRefusal(machine.chunkFinished(outcome)), context: context)
        }
    }

    // MARK: Session actions

    private func perform(_ actions: [SessionAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let reply):
                send(reply, context: context)
            case .pauseGreeting(let duration):
                perform(connection.greetPauseRequested(duration), context: context)
            case .close:
                close(context: context)
                return
            case .startTLS:
                guard settings.tlsContext != nil else { continue }
                perform(connection.startTLSRequested(), context: context)
            case .verifyCredentials(_, _, let username, let password):
                awaitDecision(services.verifyCredentials(username: username, password: password, context: sessionContext, on: context.eventLoop),
                      context: context, fallback: .temporaryFailure) { handler, outcome in
                    if case .success(let account) = outcome {
                        handler.sessionContext.authenticatedAccount = account
                        handler.logger[metadataKey: "account"] = .string(account)
                        handler.logger.info("authenticated")
                    } else {
                        // The name only when it is an address: a password typed into the
                        // user-name field must not reach the log.
                        let name = FailedLoginName(username).field
                        handler.logger.notice("authentication failed", metadata: [name.key: .string(name.value)])
                    }
                    handler.settings.instruments.authenticated(outcome)
                    return handler.machine.credentialsVerified(outcome)
                }
            case .checkSender(let sender, let parameters):
                awaitDecision(services.checkSender(sender, parameters, context: sessionContext, on: context.eventLoop),
                      context: context, fallback: .failure(localError)) { handler, result in
                    handler.countingRefusal(handler.machine.senderChecked(result))
                }
            case .checkRecipient(let recipient, let parameters):
                awaitDecision(services.checkRecipient(recipient, parameters, context: sessionContext, on: context.eventLoop),
                      context: context, fallback: .failure(localError)) { handler, result in
                    if case .failure(let reply) = result {
                        handler.logger.info("recipient rejected", metadata: [
                            "rcpt": .stringConvertible(LoggedText(describing: recipient)),
                            "reply": .stringConvertible(LoggedText(reply.description)),
                        ])
                    }
                    return handler.countingRefusal(handler.machine.recipientChecked(result))
                }
            case .receiveData(let envelope):
                reception = openReception(envelope)
                framer.receiveData(maxSize: settings.configuration.maxMessageSize)
                armTimeout(context: context)
            case .receiveChunk(let size, let last, let envelope):
                // The first chunk opens the message; the following ones add to it.
                if reception == nil { reception = openReception(envelope) }
                framer.receiveChunk(size: size, last: last)
            case .discardChunk(let size):
                framer.discardChunk(size: size)
            case .abortMessage:
                reception?.abort()
                reception = nil
            case .queueMessage(let envelope):
                let message = reception
                reception = nil
                guard let commit = message?.commit(envelope: envelope, services: services, context: sessionContext,
                                                   on: context.eventLoop) else {
                    perform(countingRefusal(machine.queueFailed(localError)), context: context)
                    continue
                }
                awaitDecision(commit, context: context, fallback: .failure(localError)) { handler, result in
                    switch result {
                    case .success(let queueID):
                        handler.logger.info("queued", metadata: ["queue_id": .string(queueID), "rcpts": .stringConvertible(envelope.recipients.count)])
                        handler.settings.instruments.messageAccepted()
                        return handler.machine.messageQueued(queueID: queueID)
                    case .failure(let reply):
                        handler.logger.notice("message rejected", metadata: ["reply": .stringConvertible(LoggedText(reply.description))])
                        return handler.countingRefusal(handler.machine.queueFailed(reply))
                    }
                }
            }
        }
    }

    /// Counts the refusal among the actions answering a verdict on a sender, a recipient or a
    /// message: the first failure reply (a second one is the 421 that closes a session past its
    /// error budget, not another refusal).
    private func countingRefusal(_ actions: [SessionAction]) -> [SessionAction] {
        for case .send(let reply) in actions where reply.isFailure {
            settings.instruments.refused(reply)
            break
        }
        return actions
    }

    /// 451 4.3.0 with this session's ID, which the logger's metadata carries too.
    private var localError: Reply { .localError(sessionID: sessionContext.sessionID) }

    private func openReception(_ envelope: Envelope) -> MessageReception {
        var envelope = envelope
        // Implicit TLS: the session started secure before the handshake details were known.
        envelope.tls = envelope.tls ?? tlsInfo
        return MessageReception(envelope: envelope, services: services, context: sessionContext,
                                hostname: settings.hostname, logger: logger)
    }

    /// Waits for a decision; input stays buffered meanwhile. A decision that is already
    /// available completes inline and the input loop simply carries on.
    private func awaitDecision<T: Sendable>(_ future: EventLoopFuture<T>, context: ChannelHandlerContext, fallback: T,
                          _ complete: @escaping (SMTPSessionHandler, T) -> [SessionAction]) {
        perform(connection.decisionRequested(), context: context)
        context.whenComplete(future, handler: self) { handler, context, result in
            handler.perform(handler.connection.decisionCompleted(), decision: {
                let value: T
                switch result {
                case .success(let success):
                    value = success
                case .failure(let error):
                    handler.logger.error("internal error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                    value = fallback
                }
                handler.perform(complete(handler, value), context: context)
            }, context: context)
        }
    }

    private func beginHandshake(context: ChannelHandlerContext) {
        guard let tlsContext = settings.tlsContext else { return }
        // RFC 3207 §4.2 / CVE-2011-0411: anything the client pipelined after STARTTLS was
        // sent in cleartext and must not be executed after the handshake.
        framer.discardBuffered()
        let handler = NIOSSLServerHandler(context: tlsContext)
        do {
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            close(context: context)
        }
    }

    // MARK: Output

    private func send(_ reply: Reply, context: ChannelHandlerContext) {
        if reply.isFailure {
            logger.debug("reply", metadata: ["reply": .stringConvertible(LoggedText(reply.description))])
        }
        let bytes = reply.encodedBytes()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
    }

    /// Sends a refusal before the greeting and closes once it is written: behind implicit TLS
    /// the reply waits for the handshake, and closing at once would lose it. A client that never
    /// completes the handshake is dropped after `commandTimeout`.
    private func refuseConnection(_ reply: Reply, context: ChannelHandlerContext) {
        perform(connection.admissionRefused(), context: context)
        let bytes = reply.encodedBytes()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndClose(wrapOutboundOut(buffer), deadline: settings.commandTimeout)
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    private func close(context: ChannelHandlerContext) {
        perform(connection.closeRequested(), context: context)
    }

    // MARK: Timeouts

    private func armTimeout(context: ChannelHandlerContext) {
        timeout?.cancel()
        // RFC 5321 §4.5.3.2: DATA content has its own (longer) timeout.
        let amount = framer.isReceivingData ? settings.dataTimeout : settings.commandTimeout
        timeout = context.scheduleTask(in: amount, handler: self) { handler, context in
            handler.perform(handler.connection.timeoutFired(), context: context)
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private static func describe(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}
