import Config
import Web

extension WebSettings {
    /// The customer web's settings from `hostname`, `[web]` and `[client_settings]`. The host
    /// customers are told about is `[web] public_host` when set (e.g. behind a load balancer).
    init(configuration: Configuration) {
        self.init(hostname: configuration.web.publicHost ?? configuration.hostname,
                  mail: MailSettings(configuration.clientSettings),
                  trustedProxies: configuration.web.trustedProxies)
    }
}

extension MailSettings {
    /// What mail clients are given, from `[client_settings]`.
    init(_ settings: Configuration.ClientSettings) {
        self.init(submissionHost: settings.submissionHost, submissionPort: settings.submissionPort,
                  submissionsPort: settings.submissionsPort, pop3Host: settings.pop3Host,
                  pop3Port: settings.pop3Port, pop3sPort: settings.pop3sPort,
                  imap: settings.imap.map {
                      Endpoint(host: $0.host, port: $0.port, security: $0.security == .tls ? .tls : .startTLS)
                  })
    }
}
