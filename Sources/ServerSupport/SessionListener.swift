import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// One listening socket and the service it offers (an SMTP service kind, POP3 or POP3S).
public struct ListeningEndpoint<Service: Sendable & Hashable>: Sendable, Hashable {
    /// The address to bind; `::` or `0.0.0.0` for every address.
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    public var service: Service
    /// Connections from a trusted proxy start with a PROXY header (`proxy_protocol = true`).
    public var proxyProtocol: Bool

    public init(host: String, port: Int, service: Service, proxyProtocol: Bool = false) {
        self.host = host
        self.port = port
        self.service = service
        self.proxyProtocol = proxyProtocol
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var addressDescription: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Where an accepted connection's client is, as every rule of the session sees it.
public struct ClientOrigin: Sendable, Equatable {
    /// The client: the socket's peer, or the source a trusted proxy's PROXY header names.
    public var address: String
    /// The trusted proxy that relayed the connection; nil for a direct connection.
    public var proxy: String?
    /// The listener speaks the PROXY protocol but the peer is not a trusted proxy: a header
    /// from it is not believed, and the session may refuse it.
    public var refusesProxyHeader: Bool

    public init(address: String, proxy: String? = nil, refusesProxyHeader: Bool = false) {
        self.address = address
        self.proxy = proxy
        self.refusesProxyHeader = refusesProxyHeader
    }
}

/// The listening half of every session protocol: binds the endpoints, keeps the accepted
/// connections, and runs the graceful shutdown. Each protocol's listener (SMTP, POP3) gives it
/// the pipeline of a new connection and the event that asks a session to close.
///
/// On graceful shutdown (SIGTERM/SIGINT) it stops accepting at once, sends the shutdown event
/// to every session (each closes when it reaches a point where nothing is lost), waits up to
/// `shutdownGrace` for them, then closes what is left.
public final class SessionListener<Service: Sendable & Hashable>: Sendable {
    /// Adds the session's handlers to an accepted connection's pipeline, on its event loop.
    /// With the PROXY protocol it runs once the header is read, behind the header's handler.
    public typealias ChildInitializer = @Sendable (Channel, Service, ClientOrigin) throws -> Void

    private let endpoints: [ListeningEndpoint<Service>]
    private let group: EventLoopGroup
    private let shutdownGrace: TimeAmount
    private let shutdownEvent: @Sendable () -> any Sendable
    private let initializeChild: ChildInitializer
    private let proxyProtocol: ProxyProtocolSettings?
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let children = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])

    /// - Parameters:
    ///   - shutdownEvent: the user inbound event that tells a session the server is stopping.
    ///   - proxyProtocol: the trusted proxies, for endpoints with `proxyProtocol` set.
    ///   - initializeChild: builds an accepted connection's pipeline for its endpoint's service.
    public init(endpoints: [ListeningEndpoint<Service>], group: EventLoopGroup, shutdownGrace: TimeAmount,
                proxyProtocol: ProxyProtocolSettings? = nil,
                logger: Logger, shutdownEvent: @escaping @Sendable () -> any Sendable,
                initializeChild: @escaping ChildInitializer) {
        precondition(proxyProtocol != nil || !endpoints.contains(where: \.proxyProtocol),
                     "a PROXY protocol endpoint needs the trusted proxies")
        self.proxyProtocol = proxyProtocol
        self.endpoints = endpoints
        self.group = group
        self.shutdownGrace = shutdownGrace
        self.logger = logger
        self.shutdownEvent = shutdownEvent
        self.initializeChild = initializeChild
    }

    /// Binds every endpoint; returns the bound addresses in the order of the endpoints (port 0
    /// resolves to the real port).
    ///
    /// `accepting: false` binds without accepting until ``run()``: `serve` binds privileged
    /// ports as root, then drops to `[process] user` before the first connection is accepted.
    @discardableResult
    public func bind(accepting: Bool = true) async throws -> [SocketAddress] {
        var bound: [SocketAddress] = []
        for endpoint in endpoints {
            let channel = try await bootstrap(for: endpoint)
                .serverChannelOption(ChannelOptions.autoRead, value: accepting)
                .bind(host: endpoint.host, port: endpoint.port).get()
            channels.withLockedValue { $0.append(channel) }
            if let address = channel.localAddress { bound.append(address) }
            logger.info("listening", metadata: ["address": .string(endpoint.addressDescription),
                                                "service": .string("\(endpoint.service)")])
        }
        return bound
    }

    /// Accepts until graceful shutdown, then drains the sessions.
    public func run() async throws {
        if channels.withLockedValue({ $0.isEmpty }) { try await bind() }
        let listeners = channels.withLockedValue { $0 }
        for channel in listeners { try await channel.setOption(ChannelOptions.autoRead, value: true).get() }
        await withGracefulShutdownHandler {
            for channel in listeners { try? await channel.closeFuture.get() }
        } onGracefulShutdown: {
            self.shutdown()
        }
        await drainSessions()
    }

    /// Stops accepting and asks every session to close.
    public func shutdown() {
        for channel in channels.withLockedValue({ $0 }) { channel.close(promise: nil) }
        for channel in sessionChannels {
            channel.pipeline.fireUserInboundEventTriggered(shutdownEvent())
        }
    }

    /// True while every endpoint is bound and accepting: false before `bind`, and from the
    /// start of shutdown (a load balancer's readiness check stops sending new clients).
    public var isListening: Bool {
        let listeners = channels.withLockedValue { $0 }
        return listeners.count == endpoints.count && listeners.allSatisfy(\.isActive)
    }

    /// The channels of the sessions open now (accepted connections).
    public var sessionChannels: [Channel] {
        children.withLockedValue { Array($0.values) }
    }

    private func drainSessions() async {
        let deadline = NIODeadline.now() + shutdownGrace
        while NIODeadline.now() < deadline, !children.withLockedValue({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let remaining = sessionChannels
        if !remaining.isEmpty {
            logger.notice("closing sessions still open after the grace period", metadata: ["count": .stringConvertible(remaining.count)])
        }
        for channel in remaining { try? await channel.close() }
    }

    private func bootstrap(for endpoint: ListeningEndpoint<Service>) -> ServerBootstrap {
        let children = self.children
        let initializeChild = self.initializeChild
        let service = endpoint.service
        let proxyProtocol = endpoint.proxyProtocol ? self.proxyProtocol : nil
        let logger = self.logger
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY is a TCP-level option (IPPROTO_TCP, tcp(7)): pipelined replies go out at
            // once instead of waiting on Nagle's algorithm for the client's delayed ACK. At the socket
            // level its number means SO_DEBUG, which needs CAP_NET_ADMIN and fails without root.
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                children.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = children.withLockedValue { $0.removeValue(forKey: id) } }
                do {
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    guard let proxyProtocol else {
                        try initializeChild(channel, service, ClientOrigin(address: peer))
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                    guard proxyProtocol.trusts(peer: peer) else {
                        try initializeChild(channel, service, ClientOrigin(address: peer, refusesProxyHeader: true))
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                    // Nothing of the protocol (no greeting) before the header names the client.
                    let header = ProxyHeaderHandler(deadline: proxyProtocol.headerDeadline, logger: logger) { context, header in
                        let origin = ClientOrigin(address: header.clientAddress(peer: peer), proxy: peer)
                        try initializeChild(context.channel, service, origin)
                    }
                    try channel.pipeline.syncOperations.addHandler(header)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }
}
