import Instruments
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore
import ServerSupport
import ServiceLifecycle

/// One listening socket and the kind of SMTP service it offers.
public typealias ListenerSpec = ListeningEndpoint<ServiceKind>

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
        /// What the sessions count (connections, sessions, messages, refusals, AUTH verdicts).
        public var instruments = PortcullisInstruments.disabled.smtp

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

    private let listener: SessionListener<ServiceKind>

    /// - Parameter proxyProtocol: the trusted proxies, for specs with `proxyProtocol` set.
    public init(specs: [ListenerSpec], settings: Settings, services: any SessionServices, limiter: ConnectionLimiter,
                group: EventLoopGroup, logger: Logger, proxyProtocol: ProxyProtocolSettings? = nil) {
        let sessionIDs = SessionIDGenerator()
        listener = SessionListener(
            endpoints: specs, group: group, shutdownGrace: settings.shutdownGrace, proxyProtocol: proxyProtocol,
            logger: logger, shutdownEvent: { SMTPSessionHandler.ShutdownRequested() }
        ) { channel, service, origin in
            let configuration = SessionConfiguration(
                hostname: settings.hostname, service: service, maxMessageSize: settings.maxMessageSize,
                maxRecipients: settings.maxRecipients, maxErrors: settings.maxErrors,
                tlsAvailable: settings.tlsContext != nil,
                // Submission clients authenticate; the pregreet test is for the port-25 service.
                greetPause: service == .relay ? settings.greetPause : .zero,
                refusesProxyHeader: origin.refusesProxyHeader)
            let implicitTLS = service == .submissionImplicitTLS
            let handler = SMTPSessionHandler(
                settings: .init(configuration: configuration, tlsContext: settings.tlsContext,
                                commandTimeout: settings.commandTimeout, dataTimeout: settings.dataTimeout,
                                hostname: settings.hostname, instruments: settings.instruments[service]),
                services: services, limiter: limiter, logger: logger,
                sessionID: sessionIDs.next(), origin: origin, tlsActive: implicitTLS)
            if implicitTLS, let tls = settings.tlsContext {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    /// Binds every listener; returns the bound addresses (port 0 resolves to the real port).
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

    /// Stops accepting new connections and asks every session to close.
    /// True while every listener is bound and accepting (readiness).
    public var isListening: Bool { listener.isListening }

    public func shutdown() {
        listener.shutdown()
    }

    /// The channels of the sessions open now (accepted connections).
    var sessionChannels: [Channel] { listener.sessionChannels }
}
