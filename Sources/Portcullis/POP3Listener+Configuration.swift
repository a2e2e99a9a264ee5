import Config
import NIOCore
import NIOSSL
import POP3Server

extension POP3Listener.Settings {
    /// The POP3 sessions' settings from `hostname`, `[pop3]` and `[limits]`.
    init(configuration: Configuration, tlsContext: NIOSSLContext?) {
        self.init(
            hostname: configuration.hostname,
            tlsContext: tlsContext,
            idleTimeout: .seconds(Int64(configuration.pop3.idleTimeoutSeconds)),
            maxErrors: configuration.limits.maxErrors,
            shutdownGrace: .seconds(Int64(configuration.limits.shutdownGraceSeconds)))
    }
}

extension Configuration {
    /// `[pop3] listen` (STLS) then `implicit_tls_listen`; an empty list turns that service off.
    var pop3ListenerSpecs: [POP3ListenerSpec] {
        pop3.listen.map { POP3ListenerSpec(host: $0.host, port: $0.port, service: .pop3, proxyProtocol: pop3.proxyProtocol) }
            + pop3.implicitTLSListen.map {
                POP3ListenerSpec(host: $0.host, port: $0.port, service: .pop3s, proxyProtocol: pop3.proxyProtocol)
            }
    }
}
