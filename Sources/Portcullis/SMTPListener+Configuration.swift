import Config
import NIOCore
import NIOSSL
import SMTPCore
import SMTPServer
import ServerSupport

extension SMTPListener.Settings {
    /// The listener's settings from `hostname`, `[smtp]`, `[submission]` and `[limits]`.
    init(configuration: Configuration, tlsContext: NIOSSLContext?) {
        self.init(
            hostname: configuration.hostname,
            maxMessageSize: configuration.submission.maxMessageSize,
            maxRecipients: configuration.submission.maxRecipients,
            maxErrors: configuration.limits.maxErrors,
            commandTimeout: .seconds(Int64(configuration.limits.commandTimeoutSeconds)),
            dataTimeout: .seconds(Int64(configuration.limits.dataTimeoutSeconds)),
            shutdownGrace: .seconds(Int64(configuration.limits.shutdownGraceSeconds)),
            tlsContext: tlsContext,
            greetPause: .milliseconds(configuration.smtp.greetPauseMilliseconds))
    }
}

extension ListenerSpec {
    /// A listener on a `listen` address of the configuration.
    init(address: ListenAddress, service: ServiceKind, proxyProtocol: Bool) {
        self.init(host: address.host, port: address.port, service: service, proxyProtocol: proxyProtocol)
    }
}

extension Configuration {
    /// `[smtp] listen`, then `[submission] listen` and `implicit_tls_listen`.
    var smtpListenerSpecs: [ListenerSpec] {
        smtp.listen.map { ListenerSpec(address: $0, service: .relay, proxyProtocol: smtp.proxyProtocol) }
            + submission.listen.map { ListenerSpec(address: $0, service: .submission, proxyProtocol: submission.proxyProtocol) }
            + submission.implicitTLSListen.map {
                ListenerSpec(address: $0, service: .submissionImplicitTLS, proxyProtocol: submission.proxyProtocol)
            }
    }

    /// `[limits] trusted_proxies`; nil when there are none (then no listener reads a header:
    /// loading refuses `proxy_protocol = true` without them).
    var proxyProtocolSettings: ProxyProtocolSettings? {
        limits.trustedProxies.isEmpty ? nil : ProxyProtocolSettings(trustedProxies: limits.trustedProxies)
    }
}
