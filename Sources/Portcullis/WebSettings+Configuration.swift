import Config
import Web

extension WebSettings {
    /// The customer web's settings from `hostname`, `[web]` and `[client_settings]`.
    init(configuration: Configuration) {
        self.init(hostname: configuration.hostname, mail: MailSettings(configuration.clientSettings),
                  trustedProxies: configuration.web.trustedProxies)
    }
}

extension MailSettings {
    /// What mail clients are given, from `[client_settings]`.
    init(_ settings: Configuration.ClientSettings) {
        self.init(submissionHost: settings.submissionHost, submissionPort: settings.submissionPort,
                  submissionsPort: settings.submissionsPort, incomingHost: settings.incomingHost,
                  incomingProtocol: settings.incomingProtocol, incomingPort: settings.incomingPort)
    }
}
