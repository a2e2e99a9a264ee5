import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore
import ServiceLifecycle

/// One listening socket and the kind of SMTP service it offers.
public struct ListenerSpec: Sendable {
    /// The address to bind; `::` or `0.0.0.0` for every address.
    public var host: String
    /// The port; 0 picks a free one (tests).
    public var port: Int
    public var service: ServiceKind

    public init(host: String, port: Int, service: ServiceKind) {
        self.host = host
        self.port = port
        self.service = service
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var addressDescription: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Every SMTP listener (port 25, submission, submissions) as one lifecycle service.
///
/// On graceful shutdown (SIGTERM/SIGINT) it stops accepting at once, lets open sessions finish
/// for `shutdownGrace`, then closes what is left. A message is acknowledged only after it is
/// durable, so closing a session mid-DATA loses nothing the client was told was accepted.
public final class SMTPListener: Service, Sendable {
    public struct Settings: Sendable {
        public var hostname: String
        public var maxMessageSize: Int
        public var maxRecipients: Int
        public var maxErrors: Int
        public var commandTimeout: TimeAmount
        public var dataTimeout: TimeAmount
        public var shutdownGrace: TimeAmount
        public var tlsContext: NIOSSLContext?
        /// `[smtp] greet_pause`: applied to the port-25 service only.
        public var greetPause: Duration

        /// Settings as given; `portcullis serve` makes them from `[smtp]`, `[submission]` and `[limits]`.
        public init(hostname: String, maxMessageSize: Int, maxRecipients: Int, maxErrors: Int,
                    commandTimeout: TimeAmount, dataTimeout: TimeAmount, shutdownGrace: TimeAmount,
                    tlsContext: NIOSSLContext?, greetPause: Duration) {
            self.hostname = hostname
            self.maxMessageSize = maxMessageSize
            self.maxRecipients = maxRecipients
            self.maxErrors = maxErrors
            self.commandTimeout = commandTimeout
            self.dataTimeout = dataTimeout
            self.shutdownGrace = shutdownGrace
            self.tlsContext = tlsContext
            self.greetPause = greetPause
        }
    }

    private let specs: [ListenerSpec]
    private let settings: Settings
    private let services: any SessionServices
    private let limiter: ConnectionLimiter
    private let group: EventLoopGroup
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let children = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let sessionIDs = SessionIDGenerator()

    public init(specs: [ListenerSpec], settings: Settings, services: any SessionServices, limiter: ConnectionLimiter,
                group: EventLoopGroup, logger: Logger) {
        self.specs = specs
        self.settings = settings
        self.services = services
        self.limiter = limiter
        self.group = group
        self.logger = logger
    }

    /// Binds every listener; returns the bound addresses (port 0 resolves to the real port).
    ///
    /// `accepting: false` binds without accepting until ``run()``: `serve` binds privileged
    /// ports as root, then drops to `[process] user` before the first connection is accepted.
    @discardableResult
    public func bind(accepting: Bool = true) async throws -> [SocketAddress] {
        var bound: [SocketAddress] = []
        for spec in specs {
            let channel = try await bootstrap(for: spec.service)
                .serverChannelOption(ChannelOptions.autoRead, value: accepting)
                .bind(host: spec.host, port: spec.port).get()
            channels.withLockedValue { $0.append(channel) }
            if let address = channel.localAddress { bound.append(address) }
            logger.info("listening", metadata: ["address": .string(spec.addressDescription), "service": .string("\(spec.service)")])
        }
        return bound
    }

    public func run() async throws {
        if channels.withLockedValue({ $0.isEmpty }) { try await bind() }
        let listeners = channels.withLockedValue { $0 }
        for channel in listeners { try await channel.setOption(ChannelOptions.autoRead, value: true) }
        try await withGracefulShutdownHandler {
            for channel in listeners { try? await channel.closeFuture.get() }
        } onGracefulShutdown: {
            self.shutdown()
        }
        await drainSessions()
    }

    /// Stops accepting new connections.
    public func shutdown() {
        let listeners = channels.withLockedValue { $0 }
        for channel in listeners { channel.close(promise: nil) }
        let sessions = children.withLockedValue { Array($0.values) }
        for channel in sessions {
            channel.pipeline.fireUserInboundEventTriggered(SMTPSessionHandler.ShutdownRequested())
        }
    }

    /// The channels of the sessions open now (accepted connections).
    var sessionChannels: [Channel] {
        children.withLockedValue { Array($0.values) }
    }

    private func drainSessions() async {
        let deadline = NIODeadline.now() + settings.shutdownGrace
        while NIODeadline.now() < deadline, !children.withLockedValue({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        let remaining = children.withLockedValue { Array($0.values) }
        if !remaining.isEmpty {
            logger.notice("closing sessions still open after the grace period", metadata: ["count": .stringConvertible(remaining.count)])
        }
        for channel in remaining { try? await channel.close() }
    }

    private func bootstrap(for service: ServiceKind) -> ServerBootstrap {
        let settings = self.settings
        let services = self.services
        let limiter = self.limiter
        let logger = self.logger
        let sessionIDs = self.sessionIDs
        let children = self.children
        let configuration = SessionConfiguration(
            hostname: settings.hostname, service: service, maxMessageSize: settings.maxMessageSize,
            maxRecipients: settings.maxRecipients, maxErrors: settings.maxErrors,
            tlsAvailable: settings.tlsContext != nil,
            // Submission clients authenticate; the pregreet test is for the port-25 service.
            greetPause: service == .relay ? settings.greetPause : .zero)
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY is a TCP-level option (IPPROTO_TCP, tcp(7)): pipelined replies go out at
            // once instead of waiting on Nagle's algorithm for the client's delayed ACK. At the socket
            // level its number means SO_DEBUG, which needs CAP_NET_ADMIN and fails without root.
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let client = channel.remoteAddress?.ipAddress ?? "unknown"
                let id = ObjectIdentifier(channel)
                children.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = children.withLockedValue { $0.removeValue(forKey: id) } }
                let implicitTLS = service == .submissionImplicitTLS
                let handler = SMTPSessionHandler(
                    settings: .init(configuration: configuration, tlsContext: settings.tlsContext,
                                    commandTimeout: settings.commandTimeout, dataTimeout: settings.dataTimeout,
                                    hostname: settings.hostname),
                    services: services, limiter: limiter, logger: logger,
                    sessionID: sessionIDs.next(), clientAddress: client, tlsActive: implicitTLS)
                do {
                    if implicitTLS, let tls = settings.tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }
}

/// Session IDs: short, unique within a process run, and (by a random prefix) distinct across restarts.
public final class SessionIDGenerator: Sendable {
    public init() {}

    private let value = NIOLockedValueBox<UInt64>(0)
    private let epoch = UInt64.random(in: 0..<(1 << 20))

    public func next() -> String {
        let next = value.withLockedValue { value -> UInt64 in
            value += 1
            return value
        }
        return String(epoch, radix: 36) + "-" + String(next, radix: 36)
    }
}
