import NIOCore

/// What a session handler does with its context on the event loop: resume when a future
/// completes, run a timer, write a last reply. The handler and the context are not Sendable;
/// each helper binds them to the context's event loop, where the callbacks run.
extension ChannelHandlerContext {
    /// Calls `body` with `handler`, this context and the result once `future` completes, on this
    /// context's event loop; inline when the future is already complete on that loop.
    public func whenComplete<Handler: AnyObject, Value: Sendable>(
        _ future: EventLoopFuture<Value>, handler: Handler,
        _ body: @escaping (Handler, ChannelHandlerContext, Result<Value, any Error>) -> Void
    ) {
        let bound = NIOLoopBound((handler, self, body), eventLoop: eventLoop)
        future.hop(to: eventLoop).whenComplete { result in
            let (handler, context, body) = bound.value
            body(handler, context, result)
        }
    }

    /// Runs `body` with `handler` and this context after `delay`, on this context's event loop.
    public func scheduleTask<Handler: AnyObject>(
        in delay: TimeAmount, handler: Handler, _ body: @escaping (Handler, ChannelHandlerContext) -> Void
    ) -> Scheduled<Void> {
        let bound = NIOLoopBound((handler, self, body), eventLoop: eventLoop)
        return eventLoop.scheduleTask(in: delay) {
            let (handler, context, body) = bound.value
            body(handler, context)
        }
    }

    /// Writes a last reply (a refusal before the greeting) and closes once it is written, or
    /// after `deadline` when the client does not read it (or, behind implicit TLS, never
    /// completes the handshake that must come first).
    public func writeAndClose(_ data: NIOAny, deadline: TimeAmount) {
        let channel = self.channel
        writeAndFlush(data).whenComplete { _ in channel.close(promise: nil) }
        eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    }
}
