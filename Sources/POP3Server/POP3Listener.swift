import BlockingWork
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import POP3Core
import SMTPServer
import ServiceLifecycle

/// One POP3 listening socket: the cleartext service with STLS (port 110) or implicit TLS
/// (port 995, RFC 8314 §3.3).
public struct POP3ListenerSpec: Sendable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    public var implicitTLS: Bool

    public init(host: String, port: Int, implicitTLS: Bool) {
        self.host = host
        self.port = port
        self.implicitTLS = implicitTLS
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var addressDescription: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Every POP3 listener as one lifecycle service. On graceful shutdown it stops accepting,
/// tells idle sessions `-ERR [SYS/TEMP]` and closes them (nothing marked is removed), lets a
/// RETR or an UPDATE in progress finish for `shutdownGrace`, then closes what is left.
public final class POP3Listener: Service, Sendable {
    public struct Settings: Sendable {
        public var hostname: String
        public var tlsContext: NIOSSLContext?
        /// RFC 1939 §3: the autologout timer, at least 10 minutes (`[pop3] idle_timeout`).
        public var idleTimeout: TimeAmount
        /// Refused commands before the session closes (`[limits] max_errors`).
        public var maxErrors: Int
        public var shutdownGrace: TimeAmount

        public init(hostname: String, tlsContext: NIOSSLContext?, idleTimeout: TimeAmount, maxErrors: Int,
                    shutdownGrace: TimeAmount) {
            self.hostname = hostname
            self.tlsContext = tlsContext
            self.idleTimeout = idleTimeout
            self.maxErrors = maxErrors
            self.shutdownGrace = shutdownGrace
        }
    }

    private let specs: [POP3ListenerSpec]
    private let settings: Settings
    private let services: MaildropServices
    private let limiter: ConnectionLimiter
    private let group: EventLoopGroup
    private let logger: Logger
    private let channels = NIOLockedValueBox<[Channel]>([])
    private let children = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let sessionIDs = SessionIDGenerator()

    public init(specs: [POP3ListenerSpec], settings: Settings, services: MaildropServices, limiter: ConnectionLimiter,
                group: EventLoopGroup, logger: Logger) {
        self.specs = specs
        self.settings = settings
        self.services = services
        self.limiter = limiter
        self.group = group
        self.logger = logger
    }

    /// Binds every listener; returns the bound addresses in the order of the specs.
    ///
    /// `accepting: false` binds without accepting until ``run()``: `serve` binds privileged
    /// ports as root, then drops to `[process] user` before the first connection is accepted.
    @discardableResult
    public func bind(accepting: Bool = true) async throws -> [SocketAddress] {
        var bound: [SocketAddress] = []
        for spec in specs {
            let channel = try await bootstrap(implicitTLS: spec.implicitTLS)
                .serverChannelOption(ChannelOptions.autoRead, value: accepting)
                .bind(host: spec.host, port: spec.port).get()
            channels.withLockedValue { $0.append(channel) }
            if let address = channel.localAddress { bound.append(address) }
            logger.info("listening", metadata: ["address": .string(spec.addressDescription),
                                                "service": .string(spec.implicitTLS ? "pop3s" : "pop3")])
        }
        return bound
    }

    public func run() async throws {
        if channels.withLockedValue({ $0.isEmpty }) { try await bind() }
        let listeners = channels.withLockedValue { $0 }
        for channel in listeners { try await channel.setOption(ChannelOptions.autoRead, value: true).get() }
        try await withGracefulShutdownHandler {
            for channel in listeners { try? await channel.closeFuture.get() }
        } onGracefulShutdown: {
            self.shutdown()
        }
        await drainSessions()
    }

    /// Stops accepting and asks every session to close.
    public func shutdown() {
        for channel in channels.withLockedValue({ $0 }) { channel.close(promise: nil) }
        for channel in children.withLockedValue({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(POP3SessionHandler.ShutdownRequested())
        }
    }

    private func drainSessions() async {
        let deadline = NIODeadline.now() + settings.shutdownGrace
        while NIODeadline.now() < deadline, !children.withLockedValue({ $0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        for channel in children.withLockedValue({ Array($0.values) }) { try? await channel.close() }
    }

    private func bootstrap(implicitTLS: Bool) -> ServerBootstrap {
        let settings = self.settings
        let services = self.services
        let limiter = self.limiter
        let logger = self.logger
        let sessionIDs = self.sessionIDs
        let children = self.children
        let configuration = POP3SessionConfiguration(
            hostname: settings.hostname, tlsAvailable: settings.tlsContext != nil, maxErrors: settings.maxErrors)
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Pipelined responses go out at once rather than waiting on Nagle's algorithm.
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let client = channel.remoteAddress?.ipAddress ?? "unknown"
                let id = ObjectIdentifier(channel)
                children.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = children.withLockedValue { $0.removeValue(forKey: id) } }
                let handler = POP3SessionHandler(
                    settings: .init(configuration: configuration, tlsContext: settings.tlsContext,
                                    idleTimeout: settings.idleTimeout, implicitTLS: implicitTLS),
                    services: services, limiter: limiter, pool: BlockingWorkPool.shared, logger: logger,
                    sessionID: sessionIDs.next(), clientAddress: client)
                do {
                    if implicitTLS {
                        guard let tls = settings.tlsContext else {
                            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
                        }
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
