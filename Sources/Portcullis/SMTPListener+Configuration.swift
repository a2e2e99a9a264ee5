import Config
import NIOCore
import NIOSSL
import SMTPCore
import SMTPServer

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
    init(address: ListenAddress, service: ServiceKind) {
        self.init(host: address.host, port: address.port, service: service)
    }
}
