import NIOCore
import SMTPCore

/// Hands each reply to the task waiting for it, in order, on the channel's event loop.
///
/// Replies that arrive before anyone waits (pipelining, an early 421) are buffered. When the
/// connection closes or fails, every waiter and every later wait fails with the reason.
final class ReplyDispatcher: ChannelInboundHandler {
    typealias InboundIn = Reply

    private var buffered: CircularBuffer<Reply> = []
    private var waiters: CircularBuffer<EventLoopPromise<Reply>> = []
    private var failure: (any Error)?

    /// The number of replies received but not yet taken (must be 0 before STARTTLS takes
    /// effect: anything else was injected in clear text, RFC 3207 §6).
    var bufferedCount: Int { buffered.count }

    /// Registers `promise` for the next reply.
    func wait(_ promise: EventLoopPromise<Reply>) {
        if let reply = buffered.popFirst() {
            promise.succeed(reply)
        } else if let failure {
            promise.fail(failure)
        } else {
            waiters.append(promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        if let waiter = waiters.popFirst() {
            waiter.succeed(reply)
        } else {
            buffered.append(reply)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(SMTPClientError.connectionClosed)
        context.fireChannelInactive()
    }

    private func failAll(_ error: any Error) {
        if failure == nil { failure = error }
        while let waiter = waiters.popFirst() {
            waiter.fail(failure ?? error)
        }
    }
}
