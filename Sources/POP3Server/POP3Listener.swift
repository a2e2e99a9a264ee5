import BlockingWork
import Instruments
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import POP3Core
import ServerSupport
import ServiceLifecycle

/// The two POP3 services: the cleartext one with STLS (port 110) and implicit TLS (port 995,
/// RFC 8314 §3.3).
public enum POP3Service: String, Sendable, Hashable {
    case pop3
    case pop3s

    public var implicitTLS: Bool { self == .pop3s }

    /// For `serve`'s start-up lines.
    public var displayName: String { implicitTLS ? "POP3, implicit TLS" : "POP3, STLS" }
}

/// One POP3 listening socket.
public typealias POP3ListenerSpec = ListeningEndpoint<POP3Service>

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
        /// What the sessions count.
        public var instruments = PortcullisInstruments.disabled.pop3

        public init(hostname: String, tlsContext: NIOSSLContext?, idleTimeout: TimeAmount, maxErrors: Int,
                    shutdownGrace: TimeAmount) {
            self.hostname = hostname
            self.tlsContext = tlsContext
            self.idleTimeout = idleTimeout
            self.maxErrors = maxErrors
            self.shutdownGrace = shutdownGrace
        }
    }

    private let listener: SessionListener<POP3Service>

    /// - Parameter proxyProtocol: the trusted proxies, for specs with `proxyProtocol` set.
    public init(specs: [POP3ListenerSpec], settings: Settings, services: MaildropServices, limiter: ConnectionLimiter,
                group: EventLoopGroup, logger: Logger, proxyProtocol: ProxyProtocolSettings? = nil) {
        let sessionIDs = SessionIDGenerator()
        let configuration = POP3SessionConfiguration(
            hostname: settings.hostname, tlsAvailable: settings.tlsContext != nil, maxErrors: settings.maxErrors)
        listener = SessionListener(
            endpoints: specs, group: group, shutdownGrace: settings.shutdownGrace, proxyProtocol: proxyProtocol,
            logger: logger, shutdownEvent: { POP3SessionHandler.ShutdownRequested() }
        ) { channel, service, origin in
            let handler = POP3SessionHandler(
                settings: .init(configuration: configuration, tlsContext: settings.tlsContext,
                                idleTimeout: settings.idleTimeout, implicitTLS: service.implicitTLS,
                                instruments: settings.instruments),
                services: services, limiter: limiter, pool: BlockingWorkPool.shared, logger: logger,
                sessionID: sessionIDs.next(), origin: origin)
            if service.implicitTLS {
                guard let tls = settings.tlsContext else { throw ChannelError.operationUnsupported }
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    /// Binds every listener; returns the bound addresses in the order of the specs.
    ///
    /// `accepting: false` binds without accepting until ``run()``: `serve` binds privileged
    /// ports as root, then drops to `[process] user` before the first connection is accepted.
    @discardableResult
    public func bind(accepting: Bool = true) async throws -> [SocketAddress] {
        try await listener.bind(accepting: accepting)
    }

    public func run() async throws {
        try await listener.run()
    }

    /// Stops accepting and asks every session to close.
    /// True while every listener is bound and accepting (readiness).
    public var isListening: Bool { listener.isListening }

    public func shutdown() {
        listener.shutdown()
    }
}
