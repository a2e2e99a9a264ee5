import Logging
import NIOCore
import NIOSSL
import NIOTLS
import SMTPCore

/// Drives one SMTP session: frames input, feeds events to the `SessionStateMachine` and
/// performs the actions it returns. All state lives on the channel's event loop.
///
/// Input handling is a small mode machine of its own:
/// - `.greetPause`: before the greeting (`[smtp] greet_pause`); any input is reported to the
///   state machine as a client that talked first.
/// - `.command`: CRLF-terminated lines, at most `maxCommandLine` octets (RFC 5321 §4.5.3.1.4;
///   12288 while an AUTH exchange is in progress, RFC 4954 §4); a longer line is answered with
///   500 5.5.2 and skipped up to its end; a bare CR or LF is refused (SMTP smuggling defence).
/// - `.data`: bytes go through `DataDecoder` until CRLF.CRLF.
/// - `.chunk`: exactly the BDAT size, raw (RFC 3030 §2), checked for forbidden octets.
/// - `.handshake`: STARTTLS in progress; nothing is read as SMTP until it completes.
///
/// While the state machine waits for a decision (credentials, sender, recipient, commit), input
/// stays buffered: pipelined commands (RFC 2920) are handled in order, one at a time. Whether
/// input is already buffered behind a DATA line is passed to the state machine, which refuses
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
    }

    private enum InputMode {
        case greetPause(Scheduled<Void>)
        case command
        case skippingLongLine
        case data(DataDecoder)
        case chunk(remaining: Int, last: Bool, forbidden: DataError?)
        case discarding(remaining: Int)
        case handshake
        case closed
    }

    /// RFC 5321 §4.5.3.1.4: 512 octets including CRLF; extensions (SIZE, DSN, SMTPUTF8
    /// parameters) may extend it, so allow a generous multiple as Postfix does (2048).
    static let maxCommandLine = 2048
    /// RFC 4954 §4: an AUTH command line or SASL response may be up to 12288 octets.
    static let maxAuthLine = 12288
    /// Input kept while waiting for a decision, before reading stops (bounded memory).
    static let maxBufferedInput = 256 * 1024

    private let settings: Settings
    private let services: any SessionServices
    private let limiter: ConnectionLimiter
    private var logger: Logger
    private var machine: SessionStateMachine
    private var sessionContext: SessionContext
    private var mode: InputMode = .command
    private var input: ByteBuffer = ByteBuffer()
    private var waiting = false
    private var processing = false
    private var message: MessageAssembler?
    private var timeout: Scheduled<Void>?
    private var slotTaken = false
    private var needsFlush = false
    private var tlsActive: Bool
    private var tlsInfo: TLSInfo?
    private var shuttingDown = false

    init(settings: Settings, services: any SessionServices, limiter: ConnectionLimiter, logger: Logger,
         sessionID: String, clientAddress: String, tlsActive: Bool) {
        self.settings = settings
        self.services = services
        self.limiter = limiter
        self.logger = logger
        self.tlsActive = tlsActive
        self.machine = SessionStateMachine(configuration: settings.configuration, tlsActive: tlsActive)
        self.sessionContext = SessionContext(
            sessionID: sessionID, clientAddress: clientAddress, service: settings.configuration.service, authenticatedAccount: nil)
        self.logger[metadataKey: "session"] = .string(sessionID)
        self.logger[metadataKey: "client"] = .string(clientAddress)
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        switch limiter.acquire(client: sessionContext.clientAddress) {
        case .accepted:
            slotTaken = true
            logger.info("session opened", metadata: ["service": .string("\(sessionContext.service)")])
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
        case .tooManyConnections, .tooManyFromClient:
            logger.notice("connection refused: limit reached")
            send(Reply.tooManyConnections, context: context)
            close(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        // A client that hangs up during greet_pause: its handler need not wait for the timer.
        if case .greetPause(let timer) = mode { timer.cancel() }
        message?.abort()
        message = nil
        mode = .closed
        if slotTaken {
            slotTaken = false
            limiter.release(client: sessionContext.clientAddress)
            logger.info("session closed")
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if case .closed = mode { return }
        if case .handshake = mode { return }
        input.writeBuffer(&bytes)
        armTimeout(context: context)
        processInput(context: context)
        if input.readableBytes > Self.maxBufferedInput {
            // A client that pipelines without reading replies: stop reading until we catch up.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    /// Sent by the listener on graceful shutdown.
    struct ShutdownRequested {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ShutdownRequested {
            shuttingDown = true
            closeIfIdleWhileShuttingDown(context: context)
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
            // swift-nio-ssl does not expose the negotiated cipher suite; the version is what we can report.
            let info = TLSInfo(version: version.map(Self.describe) ?? "TLS", cipher: "")
            tlsInfo = info
            logger.info("tls established", metadata: ["tls": .string(info.version)])
            if case .handshake = mode {
                mode = .command
                perform(machine.tlsEstablished(info), context: context)
                processInput(context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.info("session error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        close(context: context)
    }

    // MARK: Input

    private func processInput(context: ChannelHandlerContext) {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        loop: while !waiting {
            switch mode {
            case .closed, .handshake:
                break loop
            case .greetPause(let timer):
                guard input.readableBytes > 0 else { break loop }
                timer.cancel()
                input.clear()
                logger.notice("connection refused", metadata: ["reply": .string(Reply.talkedBeforeGreeting.description),
                                                               "reason": "pregreet"])
                perform(machine.clientTalkedFirst(), context: context)
            case .command:
                guard processCommandLine(context: context) else { break loop }
            case .skippingLongLine:
                guard let newline = input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                    input.clear()
                    break loop
                }
                input.moveReaderIndex(to: newline + 1)
                mode = .command
            case .data(var decoder):
                guard input.readableBytes > 0 else { break loop }
                let bytes = input.readBytes(length: input.readableBytes) ?? []
                let events = decoder.feed(bytes)
                mode = .data(decoder)
                handleDataEvents(events, size: decoder.byteCount, context: context)
            case .chunk(let remaining, let last, let forbidden):
                if remaining > 0 {
                    guard input.readableBytes > 0 else { break loop }
                    let count = min(remaining, input.readableBytes)
                    let bytes = input.readBytes(length: count) ?? []
                    let found = forbidden ?? DataError.forbiddenContent(in: bytes)
                    // After a forbidden octet nothing more is stored: LAST refuses the message.
                    if found == nil { writeContent(bytes, context: context) }
                    mode = .chunk(remaining: remaining - count, last: last, forbidden: found)
                    continue loop
                }
                mode = .command
                finishChunk(last: last, forbidden: forbidden, context: context)
            case .discarding(let remaining):
                // A refused BDAT's chunk still follows on the wire (RFC 3030 §2).
                let count = min(remaining, input.readableBytes)
                input.moveReaderIndex(forwardBy: count)
                if remaining - count > 0 {
                    mode = .discarding(remaining: remaining - count)
                    break loop
                }
                mode = .command
            }
        }
        input.discardReadBytes()
        closeIfIdleWhileShuttingDown(context: context)
        if input.readableBytes <= Self.maxBufferedInput / 2 {
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
        flushIfNeeded(context: context)
    }

    /// Handles one complete command line; false when more input is needed.
    private func processCommandLine(context: ChannelHandlerContext) -> Bool {
        let limit = machine.isInAuthExchange ? Self.maxAuthLine : Self.maxCommandLine
        let view = input.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > limit {
                input.clear()
                mode = .skippingLongLine
                perform(machine.lineTooLong(), context: context)
            } else if let cr = view.firstIndex(of: UInt8(ascii: "\r")), cr < view.endIndex - 1 {
                // CR followed by something other than LF: a bare CR (RFC 5321 §2.3.8).
                input.moveReaderIndex(to: cr + 1)
                perform(machine.bareLineEnding(), context: context)
                return true
            }
            return false
        }
        let lineLength = newline - view.startIndex
        if lineLength + 1 > limit {
            input.moveReaderIndex(to: newline + 1)
            perform(machine.lineTooLong(), context: context)
            return true
        }
        let hasCR = lineLength > 0 && view[newline - 1] == UInt8(ascii: "\r")
        let line = Array(view[view.startIndex..<(hasCR ? newline - 1 : newline)])
        input.moveReaderIndex(to: newline + 1)
        if !hasCR || line.contains(UInt8(ascii: "\r")) {
            perform(machine.bareLineEnding(), context: context)
            return true
        }
        let actions = machine.receivedLine(line, moreInputBuffered: input.readableBytes > 0)
        if actions.contains(.send(Reply.pipeliningViolation)) {
            logger.notice("session refused", metadata: ["reply": .string(Reply.pipeliningViolation.description),
                                                        "reason": "content before 354"])
        }
        perform(actions, context: context)
        return true
    }

    private func handleDataEvents(_ events: [DataEvent], size: Int, context: ChannelHandlerContext) {
        for event in events {
            switch event {
            case .content(let bytes):
                writeContent(bytes, context: context)
            case .end(let leftover):
                resumeCommands(after: leftover)
                finishData(outcome: .complete(size: size), context: context)
                return
            case .rejected(let error, let leftover):
                resumeCommands(after: leftover)
                finishData(outcome: .rejected(error.reply), context: context)
                return
            }
        }
    }

    /// Bytes after CRLF.CRLF are the next pipelined commands.
    private func resumeCommands(after leftover: [UInt8]) {
        var rest = ByteBuffer(bytes: leftover)
        rest.writeBuffer(&input)
        input = rest
        mode = .command
    }

    // MARK: Message content

    private var writeFailed: Reply?
    /// Header fields computed at end of data (DKIM-Signature), put in front at commit.
    private var pendingPrefix: [UInt8] = []

    private func writeContent(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard let message, writeFailed == nil else { return }
        do {
            try message.append(bytes)
        } catch {
            logger.error("spool write failed", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            writeFailed = Reply.failure(error, sessionID: sessionContext.sessionID)
        }
    }

    /// 451 4.3.0 with this session's ID, which the logger's metadata carries too.
    private var localError: Reply { .localError(sessionID: sessionContext.sessionID) }

    private func finishFailed(_ error: any Error) -> Reply {
        logger.error("cannot finish the message", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        return Reply.failure(error, sessionID: sessionContext.sessionID)
    }

    private func finishData(outcome: DataOutcome, context: ChannelHandlerContext) {
        var outcome = outcome
        if case .complete = outcome, let failure = writeFailed { outcome = .rejected(failure) }
        if case .complete = outcome {
            do { pendingPrefix = try message?.finish() ?? [] } catch { outcome = .rejected(finishFailed(error)) }
        }
        if case .rejected = outcome { discardMessage() }
        perform(machine.dataFinished(outcome), context: context)
    }

    private func finishChunk(last: Bool, forbidden: DataError?, context: ChannelHandlerContext) {
        var outcome = ChunkOutcome.complete
        if let failure = writeFailed {
            outcome = .rejected(failure)
        } else if let forbidden {
            outcome = .forbiddenContent(forbidden)
        } else if last {
            do { pendingPrefix = try message?.finish() ?? [] } catch { outcome = .rejected(finishFailed(error)) }
        }
        if case .rejected = outcome { discardMessage() }
        perform(machine.chunkFinished(outcome), context: context)
    }

    private func discardMessage() {
        message?.abort()
        message = nil
        writeFailed = nil
    }

    // MARK: Actions

    private func perform(_ actions: [SessionAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let reply):
                send(reply, context: context)
            case .pauseGreeting(let duration):
                // A timer on the event loop: other sessions go on meanwhile.
                let loopSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
                let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
                let timer = context.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(duration))) {
                    let handler = loopSelf.value
                    guard case .greetPause = handler.mode else { return }
                    handler.mode = .command
                    handler.perform(handler.machine.greetPauseElapsed(), context: loopContext.value)
                    handler.processInput(context: loopContext.value)
                }
                mode = .greetPause(timer)
            case .close:
                close(context: context)
                return
            case .startTLS:
                startTLS(context: context)
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
                    return handler.machine.credentialsVerified(outcome)
                }
            case .checkSender(let sender, let parameters):
                awaitDecision(services.checkSender(sender, parameters, context: sessionContext, on: context.eventLoop),
                      context: context, fallback: .failure(localError)) { handler, result in
                    handler.machine.senderChecked(result)
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
                    return handler.machine.recipientChecked(result)
                }
            case .receiveData(let envelope):
                openMessage(envelope, context: context)
                mode = .data(DataDecoder(maxSize: settings.configuration.maxMessageSize))
                armTimeout(context: context)
            case .receiveChunk(let size, let last, let envelope):
                if message == nil && writeFailed == nil { openMessage(envelope, context: context) }
                mode = .chunk(remaining: size, last: last, forbidden: nil)
            case .discardChunk(let size):
                mode = .discarding(remaining: size)
            case .abortMessage:
                discardMessage()
            case .queueMessage(let envelope):
                guard let message, let sink = currentSink else {
                    perform(machine.queueFailed(localError), context: context)
                    continue
                }
                let summary = message.summary
                self.message = nil
                let prefix = pendingPrefix
                pendingPrefix = []
                awaitDecision(services.commitMessage(sink, envelope: envelope, headers: summary, prefix: prefix,
                                                     context: sessionContext, on: context.eventLoop),
                      context: context, fallback: .failure(localError)) { handler, result in
                    handler.currentSink = nil
                    switch result {
                    case .success(let queueID):
                        handler.logger.info("queued", metadata: ["queue_id": .string(queueID), "rcpts": .stringConvertible(envelope.recipients.count)])
                        return handler.machine.messageQueued(queueID: queueID)
                    case .failure(let reply):
                        sink.abort()
                        handler.logger.notice("message rejected", metadata: ["reply": .stringConvertible(LoggedText(reply.description))])
                        return handler.machine.queueFailed(reply)
                    }
                }
            }
        }
    }

    private var currentSink: (any MessageSink)?

    private func openMessage(_ envelope: Envelope, context: ChannelHandlerContext) {
        writeFailed = nil
        do {
            let sink = try services.beginMessage(context: sessionContext)
            currentSink = sink
            var envelope = envelope
            // Implicit TLS: the machine started secure before the handshake details were known.
            envelope.tls = envelope.tls ?? tlsInfo
            let received = ReceivedHeader(
                envelope: envelope, clientAddress: sessionContext.clientAddress, hostname: settings.hostname,
                queueID: sink.queueID, date: RFC5322Date.now())
            let services = self.services
            let sessionContext = self.sessionContext
            message = MessageAssembler(
                sink: sink, receivedHeader: received.rendered,
                addMissingHeaders: sessionContext.followsSubmissionRules, hostname: settings.hostname,
                signerForDomain: { services.dkimSigner(fromDomain: $0, context: sessionContext) })
        } catch {
            logger.error("cannot open spool entry", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            writeFailed = Reply.failure(error, sessionID: sessionContext.sessionID)
            message = nil
        }
    }

    /// Waits for a decision; input stays buffered meanwhile. A decision that is already
    /// available completes inline and the input loop simply carries on.
    private func awaitDecision<T>(_ future: EventLoopFuture<T>, context: ChannelHandlerContext, fallback: T,
                          _ complete: @escaping (SMTPSessionHandler, T) -> [SessionAction]) {
        waiting = true
        flushIfNeeded(context: context)
        let loopSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let complete = NIOLoopBound(complete, eventLoop: context.eventLoop)
        let fallback = NIOLoopBound(fallback, eventLoop: context.eventLoop)
        future.whenComplete { result in
            let handler = loopSelf.value
            if case .closed = handler.mode { return }
            handler.waiting = false
            let value: T
            switch result {
            case .success(let success):
                value = success
            case .failure(let error):
                handler.logger.error("internal error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                value = fallback.value
            }
            handler.perform(complete.value(handler, value), context: loopContext.value)
            handler.processInput(context: loopContext.value)
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        guard let tlsContext = settings.tlsContext else { return }
        flushIfNeeded(context: context)
        // RFC 3207 §4.2 / CVE-2011-0411: anything the client pipelined after STARTTLS was
        // sent in cleartext and must not be executed after the handshake.
        input.clear()
        mode = .handshake
        let handler = NIOSSLServerHandler(context: tlsContext)
        do {
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            close(context: context)
        }
    }

    /// On shutdown a session between transactions is told 421 and closed; one in the middle of
    /// a transaction (DATA streaming, commit pending) is let finish first.
    private func closeIfIdleWhileShuttingDown(context: ChannelHandlerContext) {
        guard shuttingDown, !waiting, !machine.hasTransaction, case .command = mode else { return }
        send(Reply.shuttingDown, context: context)
        close(context: context)
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
        mode = .closed
        timeout?.cancel()
        let bytes = reply.encodedBytes()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        context.eventLoop.scheduleTask(in: settings.commandTimeout) { channel.close(promise: nil) }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }

    private func close(context: ChannelHandlerContext) {
        if case .closed = mode { return }
        mode = .closed
        timeout?.cancel()
        flushIfNeeded(context: context)
        context.close(promise: nil)
    }

    // MARK: Timeouts

    private func armTimeout(context: ChannelHandlerContext) {
        timeout?.cancel()
        let amount: TimeAmount
        if case .data = mode { amount = settings.dataTimeout } else { amount = settings.commandTimeout }
        let loopSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: amount) {
            let handler = loopSelf.value
            if case .closed = handler.mode { return }
            handler.logger.notice("timeout")
            handler.perform(handler.machine.timedOut(), context: loopContext.value)
            handler.flushIfNeeded(context: loopContext.value)
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
