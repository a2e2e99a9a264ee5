import BlockingWork
import Instruments
import Logging
import MaildirStore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import POP3Core
import SMTPCore
import ServerSupport

/// Drives one POP3 session on its channel's event loop. It decides nothing itself: input is
/// framed into lines (``LineFramer``, 255 octets, RFC 2449 §4), lines go to the
/// ``POP3SessionStateMachine`` (the protocol) and channel events to the
/// ``POP3ConnectionStateMachine`` (admission, pending actions, the STLS handshake, shutdown,
/// back-pressure), and the handler performs the actions both return.
///
/// While an action is pending (admission, credentials, opening the maildrop, a RETR being
/// written, the UPDATE), input stays buffered in the framer: pipelined commands (RFC 2449 §6.6)
/// run in order afterwards, and their responses are flushed together.
///
/// RETR and TOP stream the file in 64 KiB chunks through a ``MessageEncoder`` and read the next
/// chunk only while the channel is writable, so a client that does not read holds one chunk.
/// The next pipelined command, likewise, is taken only while the channel is writable: a client
/// that sends thousands of RETR or UIDL without reading the responses would otherwise have
/// them all queued in memory.
///
/// The maildrop lock is released when the connection closes, whatever the state; only QUIT in
/// TRANSACTION removes anything (the session asks for it with `.commitDeletions`).
final class POP3SessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var configuration: POP3SessionConfiguration
        var tlsContext: NIOSSLContext?
        var idleTimeout: TimeAmount
        var implicitTLS: Bool
        var instruments: POP3Instruments
    }

    /// Sent by the listener on graceful shutdown.
    struct ShutdownRequested {}

    /// The RETR or TOP being written.
    private struct Retrieval {
        var number: Int
        var file: MessageFile
        /// Where the next chunk starts in the file.
        var offset: Int
        var encoder: MessageEncoder
        var octetsSent: Int
    }

    private let settings: Settings
    private let services: MaildropServices
    private let limiter: ConnectionLimiter
    private let pool: BlockingWorkPool
    private var logger: Logger
    private let sessionID: String
    private let clientAddress: String
    private var machine: POP3SessionStateMachine
    private var connection = POP3ConnectionStateMachine()
    private var framer = LineFramer(maxLineLength: POP3Limits.commandLine)
    private var timeout: Scheduled<Void>?
    /// The maildrop of the TRANSACTION state, locked for this session.
    private var opened: MaildropServices.Opened?
    private var retrieval: Retrieval?
    /// A retrieval waits for the channel to drain before reading its next chunk.
    private var waitingForWritability = false
    /// The input loop is running: a result completing inside it must not start a second one.
    private var processing = false
    /// Responses written and not yet flushed (RFC 2449 §6.6: pipelined responses go out together).
    private var needsFlush = false
    /// Their octets: past ``flushThreshold`` they are flushed, so that the channel's writability
    /// (which only counts flushed octets behind TLS) reflects them.
    private var unflushedOctets = 0
    /// The input loop stopped because the channel is not writable; it resumes when it is.
    private var waitingForOutput = false

    private static let flushThreshold = 16 * 1024

    init(settings: Settings, services: MaildropServices, limiter: ConnectionLimiter, pool: BlockingWorkPool,
         logger: Logger, sessionID: String, origin: ClientOrigin) {
        self.settings = settings
        self.services = services
        self.limiter = limiter
        self.pool = pool
        self.logger = logger
        self.sessionID = sessionID
        self.clientAddress = origin.address
        self.machine = POP3SessionStateMachine(configuration: settings.configuration, tlsActive: settings.implicitTLS)
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
        let verdict = limiter.acquire(client: clientAddress)
        if verdict == .accepted {
            settings.instruments.sessionStarted()
            logger.info("session opened", metadata: ["service": .string(settings.implicitTLS ? "pop3s" : "pop3")])
        } else {
            logger.notice("connection refused: limit reached", metadata: ["service": "pop3"])
        }
        perform(connection.opened(verdict), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        retrieval = nil
        perform(connection.closed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        perform(connection.received(), received: bytes, context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, waitingForWritability {
            waitingForWritability = false
            readNextChunk(context: context)
        } else if context.channel.isWritable, waitingForOutput {
            waitingForOutput = false
            processInput(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ShutdownRequested {
            perform(connection.shutdownRequested(), context: context)
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            // After STLS; on the implicit-TLS service the session started secure and this changes nothing.
            perform(connection.handshakeCompleted(), context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.info("session error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
        perform(connection.closeRequested(), context: context)
    }

    // MARK: Connection actions

    /// `received`: the octets of a `.bufferInput`; `completion`: what `.completeAction` runs.
    private func perform(_ actions: [POP3ConnectionStateMachine.Action], received: ByteBuffer? = nil,
                         completion: (() -> Void)? = nil, context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .admit:
                let future = services.admitConnection(client: clientAddress, on: context.eventLoop)
                context.whenComplete(future, handler: self) { handler, context, result in
                    let refusal: POP3Response?
                    switch result {
                    case .success(let value): refusal = value
                    case .failure: refusal = nil
                    }
                    if let refusal {
                        handler.logger.notice("connection refused", metadata: ["reply": .stringConvertible(LoggedText(refusal.description))])
                    }
                    handler.perform(handler.connection.admitted(refusal: refusal), context: context)
                }
            case .greet:
                perform(machine.start(), context: context)
            case .refuse(let response):
                refuse(response, context: context)
            case .bufferInput:
                if let received { framer.append(received.readableBytesView) }
            case .armTimeout:
                armTimeout(context: context)
            case .cancelTimeout:
                timeout?.cancel()
            case .readInput:
                processInput(context: context)
            case .flush:
                flushIfNeeded(context: context)
            case .beginHandshake:
                beginHandshake(context: context)
            case .tlsEstablished:
                logger.info("tls established")
                perform(machine.tlsEstablished(), context: context)
            case .completeAction:
                completion?()
            case .timedOut:
                logger.notice("timeout")
                if retrieval != nil {
                    // A client that stopped reading a RETR: a response line now would land
                    // inside the message, so the connection is just closed.
                    perform(connection.closeRequested(), context: context)
                } else {
                    perform(machine.timedOut(), context: context)
                }
            case .shutDownSession:
                perform(machine.shutdownRequested(), context: context)
            case .close:
                flushIfNeeded(context: context)
                context.close(promise: nil)
                return
            case .release:
                opened?.lock.release()
                opened = nil
                limiter.release(client: clientAddress)
                settings.instruments.sessionEnded()
                logger.info("session closed")
            case .pauseReading:
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
        while connection.mayReadInput, !machine.isClosed {
            if unflushedOctets >= Self.flushThreshold { flushIfNeeded(context: context) }
            guard context.channel.isWritable else {
                waitingForOutput = true
                break
            }
            framer.maxLineLength = machine.isInAuthExchange ? POP3Limits.saslResponseLine : POP3Limits.commandLine
            guard let event = framer.nextLine() else { break }
            switch event {
            case .line(let line): perform(machine.receivedLine(line), context: context)
            case .tooLong: perform(machine.lineTooLong(), context: context)
            case .bareLineEnding: perform(machine.bareLineEnding(), context: context)
            }
        }
        perform(connection.inputProcessed(buffered: framer.bufferedCount), context: context)
    }

    // MARK: Session actions

    private func perform(_ actions: [POP3SessionAction], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let response):
                send(response, context: context)
            case .releaseMaildrop:
                opened?.lock.release()
            case .close:
                perform(connection.closeRequested(), context: context)
                return
            case .startTLS:
                guard settings.tlsContext != nil else { continue }
                perform(connection.startTLSRequested(), context: context)
            case .verifyCredentials(let username, let password):
                let future = services.verifyCredentials(username: username, password: password, client: clientAddress,
                                                        on: context.eventLoop)
                awaitResult(future, context: context) { handler, outcome in
                    if case .success(let account) = outcome {
                        handler.logger[metadataKey: "account"] = .string(account)
                        handler.logger.info("authenticated", metadata: ["service": "pop3"])
                    } else {
                        // The name only when it is an address: a password typed into the
                        // user-name field must not reach the log.
                        let name = FailedLoginName(username).field
                        handler.logger.notice("authentication failed", metadata: [
                            "service": "pop3", name.key: .string(name.value), "outcome": .string("\(outcome)")])
                    }
                    return handler.machine.credentialsVerified(outcome)
                }
            case .openMaildrop(let account):
                awaitResult(services.openMaildrop(account: account, on: context.eventLoop), context: context) { handler, result in
                    switch result {
                    case .success(let opened):
                        handler.opened = opened
                        let messages = opened.maildrop.messages
                        handler.logger.info("maildrop opened", metadata: ["messages": .stringConvertible(messages.count)])
                        return handler.machine.maildropOpened(.opened(MaildropListing(messages: messages.map {
                            MaildropListing.Message(octets: $0.wireSize, uniqueID: $0.uniqueID)
                        })))
                    case .failure(.inUse):
                        handler.logger.notice("maildrop in use")
                        return handler.machine.maildropOpened(.inUse)
                    case .failure(.unavailable):
                        return handler.machine.maildropOpened(.unavailable)
                    }
                }
            case .retrieve(let number, let lines, let response):
                retrieve(number: number, lines: lines, response: response, context: context)
            case .commitDeletions(let numbers):
                guard let opened else { preconditionFailure("UPDATE without a maildrop") }
                let messages = numbers.map { opened.maildrop.messages[$0 - 1] }
                let logger = self.logger
                let removed = services.remove(messages, from: opened.maildrop, on: context.eventLoop)
                    .map { true }
                    .recover { error in
                        logger.error("cannot remove deleted messages", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                        return false
                    }
                awaitResult(removed, context: context) { handler, succeeded in
                    handler.logger.info("update", metadata: ["deleted": .stringConvertible(succeeded ? messages.count : 0)])
                    return handler.machine.deletionsCommitted(succeeded: succeeded)
                }
            }
        }
    }

    /// Waits for a result the session asked for; input stays buffered meanwhile. An error
    /// (none of the services' futures fails by design) closes the session with a local error.
    private func awaitResult<T: Sendable>(_ future: EventLoopFuture<T>, context: ChannelHandlerContext,
                          _ complete: @escaping (POP3SessionHandler, T) -> [POP3SessionAction]) {
        perform(connection.actionRequested(), context: context)
        context.whenComplete(future, handler: self) { handler, context, result in
            handler.perform(handler.connection.actionCompleted(), completion: {
                switch result {
                case .success(let value):
                    handler.perform(complete(handler, value), context: context)
                case .failure(let error):
                    handler.logger.error("internal error", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                    handler.send(.localError(sessionID: handler.sessionID), context: context)
                    handler.perform(handler.connection.closeRequested(), context: context)
                }
            }, context: context)
        }
    }

    // MARK: RETR and TOP

    /// Opens the file; on success writes the `+OK`, then streams the message (RFC 1939 §5).
    private func retrieve(number: Int, lines: Int?, response: POP3Response, context: ChannelHandlerContext) {
        guard let opened else { preconditionFailure("RETR without a maildrop") }
        perform(connection.actionRequested(), context: context)
        let maildrop = opened.maildrop
        let message = maildrop.messages[number - 1]
        let file = MessageFile.open(message.path, movedTo: { try maildrop.currentPath(of: message) }, pool: pool,
                                    on: context.eventLoop)
        context.whenComplete(file, handler: self) { handler, context, result in
            guard handler.connection.phase != .closed else { return }
            guard case .success(let file?) = result else {
                let outcome: RetrievalOutcome
                if case .failure(let error) = result {
                    handler.logger.error("cannot open message", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                    outcome = .unavailable
                } else {
                    handler.logger.notice("message gone since login", metadata: ["message": .stringConvertible(number)])
                    outcome = .gone
                }
                handler.perform(handler.connection.actionCompleted(), completion: {
                    handler.perform(handler.machine.retrievalFinished(outcome), context: context)
                }, context: context)
                return
            }
            let (message, first) = file
            var retrieval = Retrieval(number: number, file: message, offset: first.count,
                                      encoder: MessageEncoder(bodyLines: lines), octetsSent: 0)
            var buffer = context.channel.allocator.buffer(capacity: first.count + first.count / 16 + 64)
            buffer.writeBytes(response.encodedBytes())
            first.withUnsafeBytes { retrieval.encoder.encode($0, into: &buffer) }
            handler.retrieval = retrieval
            handler.write(buffer, context: context)
        }
    }

    /// Writes an encoded chunk; ends the retrieval, or reads on while the channel is writable.
    private func write(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard var retrieval else { return }
        var buffer = buffer
        let done = retrieval.encoder.isComplete || retrieval.offset >= retrieval.file.size
        if done { retrieval.encoder.finish(into: &buffer) }
        retrieval.octetsSent += buffer.readableBytes
        self.retrieval = done ? nil : retrieval
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        armTimeout(context: context)
        if done {
            logger.info("retrieved", metadata: ["message": .stringConvertible(retrieval.number),
                                             "octets": .stringConvertible(retrieval.octetsSent)])
            perform(connection.actionCompleted(), completion: {
                self.perform(self.machine.retrievalFinished(.sent), context: context)
            }, context: context)
        } else if context.channel.isWritable {
            readNextChunk(context: context)
        } else {
            waitingForWritability = true
        }
    }

    private func readNextChunk(context: ChannelHandlerContext) {
        guard let retrieval else { return }
        let read = retrieval.file.read(offset: retrieval.offset, pool: pool, on: context.eventLoop)
        context.whenComplete(read, handler: self) { handler, context, result in
            guard handler.connection.phase != .closed, var current = handler.retrieval else { return }
            switch result {
            case .success(let chunk):
                var buffer = context.channel.allocator.buffer(capacity: chunk.count + chunk.count / 16 + 8)
                chunk.withUnsafeBytes { current.encoder.encode($0, into: &buffer) }
                // An empty chunk: the file shrank; end with what was sent.
                current.offset = chunk.isEmpty ? current.file.size : current.offset + chunk.count
                handler.retrieval = current
                handler.write(buffer, context: context)
            case .failure(let error):
                // The +OK went out: the response cannot be completed, only cut off.
                handler.logger.error("cannot read message", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
                handler.perform(handler.connection.closeRequested(), context: context)
            }
        }
    }

    // MARK: Output

    private func send(_ response: POP3Response, context: ChannelHandlerContext) {
        if response.isError {
            logger.debug("response", metadata: ["response": .stringConvertible(LoggedText(response.description))])
        }
        let bytes = response.encodedBytes()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
        needsFlush = true
        unflushedOctets += bytes.count
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            unflushedOctets = 0
            context.flush()
        }
    }

    private func beginHandshake(context: ChannelHandlerContext) {
        guard let tlsContext = settings.tlsContext else { return }
        // RFC 2595 §4 / CVE-2011-0411: what the client pipelined after STLS was sent in
        // cleartext and must not run after the handshake.
        framer.discardBuffered()
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.error("cannot start TLS", metadata: ["error": .stringConvertible(LoggedText(describing: error))])
            perform(connection.closeRequested(), context: context)
        }
    }

    /// Refuses before the greeting and closes once the refusal is written: behind implicit TLS
    /// it waits for the handshake, and a client that never completes it is dropped at the idle
    /// timeout.
    private func refuse(_ response: POP3Response, context: ChannelHandlerContext) {
        let bytes = response.encodedBytes()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndClose(wrapOutboundOut(buffer), deadline: settings.idleTimeout)
    }

    /// RFC 1939 §3: the autologout timer, re-armed by input and by every chunk written.
    private func armTimeout(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = context.scheduleTask(in: settings.idleTimeout, handler: self) { handler, context in
            handler.perform(handler.connection.timeoutFired(), context: context)
        }
    }
}
