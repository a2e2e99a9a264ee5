import Glibc
import LoadgenCore
import NIOCore
import NIOSSL
import TestSupport

/// What a session hands back when it ends, successfully or not.
struct SessionOutcome: Sendable {
    var latencies: [UInt64] = []
    var error: String?
    /// When the last 250 to a message arrived (monotonic nanoseconds).
    var lastMessageAt: UInt64?
}

/// Monotonic nanoseconds, the clock of every timestamp in the run.
func monotonicNow() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

/// Drives one `SubmissionSession` over a channel: frames replies, feeds them to the state
/// machine and performs its actions (writes, STARTTLS, pacing timers). Everything here runs on
/// the channel's event loop; the run learns about the session only through the three promises.
final class SubmissionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// As submission.py: a reply that takes longer than this fails the session.
    static let replyTimeout: UInt64 = 60 * 1_000_000_000

    private let configuration: SubmissionSession.Configuration
    private let template: MessageTemplate
    private let tls: NIOSSLContext
    private let ready: EventLoopPromise<Void>
    private let go: EventLoopFuture<UInt64>
    private let done: EventLoopPromise<SessionOutcome>

    private var session: SubmissionSession?
    private var parser = ReplyParser()
    private var received = ByteBuffer()
    /// MAIL, RCPT and DATA are the same for every message: encoded once.
    private var envelope: ByteBuffer?
    private var dropClearText = false
    private var completed = false
    private var context: ChannelHandlerContext?
    private var watchdog: Scheduled<Void>?
    private var pacing: Scheduled<Void>?
    private var random = SplitMix64(seed: UInt64.random(in: .min ... .max))
    private var dateSecond = -1
    private var date = ""

    /// `ready` is succeeded when the session is authenticated or has failed before that (a
    /// failed session must not hold the others back); `go` carries the common start time.
    init(configuration: SubmissionSession.Configuration, template: MessageTemplate, tls: NIOSSLContext,
         ready: EventLoopPromise<Void>, go: EventLoopFuture<UInt64>, done: EventLoopPromise<SessionOutcome>) {
        self.configuration = configuration
        self.template = template
        self.tls = tls
        self.ready = ready
        self.go = go
        self.done = done
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        session = SubmissionSession(configuration: configuration, connectedAt: monotonicNow())
        armWatchdog(context: context)
        go.assumeIsolated().whenSuccess { [self] start in
            guard let context = self.context else { return }
            perform(session?.go(startAt: start, now: monotonicNow()) ?? .none, context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received.readableBytes == 0 {
            received = bytes
        } else {
            received.writeBuffer(&bytes)
        }
        while !completed {
            let reply: Reply?
            do {
                reply = try parser.next(from: &received)
            } catch {
                perform(session?.failed("\(error)") ?? .none, context: context)
                return
            }
            guard let reply, session != nil else { break }
            // In place: a copy of the session would copy its latencies on every reply.
            perform(session!.received(reply, now: monotonicNow()), context: context)
            if dropClearText {
                // RFC 3207 §4.2: whatever followed the 220 in clear text is not part of the TLS session.
                received.clear()
                parser.reset()
                dropClearText = false
            }
        }
        if received.readableBytes == 0 { received.clear() } else { received.discardReadBytes() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !completed { perform(session?.connectionClosed() ?? .none, context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After QUIT a server may close without a TLS close_notify: nothing left to report then.
        guard !completed else { return }
        perform(session?.failed("\(type(of: error)): \(error)") ?? .none, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A channel that never became active failed to connect: the run reports that error.
        if session != nil { complete(error: "connection closed") }
        self.context = nil
    }

    private func perform(_ action: SubmissionSession.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .send(let command):
            send(command, context: context)
        case .startTLS(let command):
            do {
                let handler = try NIOSSLClientHandler(context: tls, serverHostname: nil)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
            } catch {
                perform(session?.failed("STARTTLS: \(error)") ?? .none, context: context)
                return
            }
            dropClearText = true
            send(command, context: context)
        case .ready:
            ready.succeed()
        case .sendMessage(let index):
            var buffer = context.channel.allocator.buffer(capacity: template.size + 512)
            template.write(index: index, date: currentDate(), messageID: messageID(), into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            session?.messageWritten(at: monotonicNow())
        case .wait(let deadline):
            pacing = context.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(deadline)) { [self] in
                guard let context = self.context else { return }
                perform(session?.timerFired(now: monotonicNow()) ?? .none, context: context)
            }
        case .close:
            complete(error: nil)
            context.close(promise: nil)
        case .fail(let description):
            complete(error: description)
            context.close(promise: nil)
        }
    }

    private func send(_ command: Command, context: ChannelHandlerContext) {
        let buffer: ByteBuffer
        if case .envelope = command {
            if envelope == nil { envelope = command.bytes }
            buffer = envelope!
        } else {
            buffer = command.bytes
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func complete(error: String?) {
        guard !completed else { return }
        completed = true
        watchdog?.cancel()
        pacing?.cancel()
        ready.succeed()
        done.succeed(SessionOutcome(latencies: session?.latencies ?? [],
                                    error: error.map { "session \(configuration.slot): \($0)" },
                                    lastMessageAt: session?.lastMessageAt))
    }

    /// One check a second is enough for a 60-second limit, and cheaper than a timer per reply.
    private func armWatchdog(context: ChannelHandlerContext) {
        watchdog = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            guard !completed, let context = self.context else { return }
            perform(session?.checkTimeout(now: monotonicNow(), limit: Self.replyTimeout) ?? .none, context: context)
            if !completed { armWatchdog(context: context) }
        }
    }

    private func currentDate() -> String {
        let second = time(nil)
        if second != dateSecond {
            dateSecond = second
            date = rfc5322Date(secondsSinceEpoch: second)
        }
        return date
    }

    /// 32 hex digits, like Python's uuid4().hex (unique, not secret: no getrandom call per message).
    private func messageID() -> String {
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(random.next()) + hex(random.next())
    }
}
