import Logging
import NIOCore
import Policy

/// Where PROXY headers are believed (`[limits] trusted_proxies`) and how long one may take.
///
/// A listener with `proxy_protocol = true` requires the header from a trusted proxy before
/// anything else; any other peer is a direct client, and a PROXY header it sends is just
/// input to the session's protocol (spec §2: the receiver must not guess whether a header is
/// present, or anyone could spoof their address).
public struct ProxyProtocolSettings: Sendable {
    public var trustedProxies: [IPPrefix]
    /// Spec §2: "a few seconds (at least 3 seconds to cover a TCP retransmit)".
    public var headerDeadline: TimeAmount

    public static let defaultHeaderDeadline = TimeAmount.seconds(5)

    public init(trustedProxies: [IPPrefix], headerDeadline: TimeAmount = defaultHeaderDeadline) {
        self.trustedProxies = trustedProxies
        self.headerDeadline = headerDeadline
    }

    /// True when `peer` (a socket's remote address) is one of the trusted proxies.
    public func trusts(peer: String) -> Bool {
        guard let address = IPAddress(parsing: peer)?.unmappingIPv4 else { return false }
        return trustedProxies.contains { $0.contains(address) }
    }
}

/// The first handler of a connection from a trusted proxy: holds everything back until the
/// PROXY header is complete, then calls `onHeader` (which builds the rest of the pipeline
/// behind this handler, for the client the header names), passes on the octets that followed
/// the header, and removes itself. The protocol's handlers are added to an active channel, so
/// they start in `handlerAdded`; an implicit-TLS handler added at that point sees the client's
/// handshake after the header.
///
/// A header that is invalid or not complete within the deadline closes the connection.
public final class ProxyHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private enum State {
        case awaitingHeader
        case done
    }

    private let deadline: TimeAmount
    private let logger: Logger
    private let onHeader: (ChannelHandlerContext, ProxyHeader) throws -> Void
    private var state = State.awaitingHeader
    private var buffer: ByteBuffer?
    private var timer: Scheduled<Void>?

    /// - Parameter onHeader: called on the event loop once with the parsed header; throwing
    ///   closes the connection.
    public init(deadline: TimeAmount, logger: Logger,
                onHeader: @escaping (ChannelHandlerContext, ProxyHeader) throws -> Void) {
        self.deadline = deadline
        self.logger = logger
        self.onHeader = onHeader
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armTimer(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        armTimer(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .awaitingHeader = state else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        guard let received = buffer else { return }
        switch ProxyHeaderParser.parse(received.readableBytesView) {
        case .needMoreData:
            return
        case .invalid(let error):
            refuse(context: context, reason: error.description)
        case .complete(let header):
            complete(header, received: received, context: context)
        }
    }

    private func complete(_ header: ProxyHeader, received: ByteBuffer, context: ChannelHandlerContext) {
        state = .done
        timer?.cancel()
        buffer = nil
        do {
            try onHeader(context, header)
        } catch {
            logger.error("cannot set up the session", metadata: ["error": .stringConvertible("\(error)")])
            context.close(promise: nil)
            return
        }
        var rest = received
        rest.moveReaderIndex(forwardBy: header.length)
        if rest.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, reason: String) {
        state = .done
        timer?.cancel()
        buffer = nil
        logger.notice("connection closed: PROXY header refused", metadata: [
            "proxy": .string(context.channel.remoteAddress?.ipAddress ?? "unknown"), "reason": .string(reason)])
        context.close(promise: nil)
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard timer == nil, case .awaitingHeader = state else { return }
        timer = context.scheduleTask(in: deadline, handler: self) { handler, context in
            guard case .awaitingHeader = handler.state else { return }
            handler.refuse(context: context, reason: "no complete header within \(handler.deadline.nanoseconds / 1_000_000) ms")
        }
    }
}
