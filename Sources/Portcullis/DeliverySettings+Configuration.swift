import Config
import Delivery
import Foundation
import SMTPCore

extension DeliverySettings {
    /// The delivery engine's settings from `hostname`, the data directory and `[delivery]`.
    init(configuration: Configuration) {
        let delivery = configuration.delivery
        self.init(hostname: configuration.hostname, dataDirectory: configuration.dataDirectory,
                  nameservers: delivery.nameservers, smtpPort: delivery.smtpPort, routes: delivery.routes,
                  retry: RetrySchedule(initialDelay: TimeInterval(delivery.retryInitialSeconds),
                                       maximumDelay: TimeInterval(delivery.retryMaxSeconds)),
                  maximumQueueLifetime: TimeInterval(delivery.maxQueueLifetimeSeconds),
                  delayNoticeAfter: TimeInterval(delivery.delayNoticeAfterSeconds),
                  maximumConnections: delivery.maxConnections,
                  maximumConnectionsPerDestination: delivery.maxConnectionsPerDestination,
                  tlsFallbackToCleartext: delivery.tlsFallbackToCleartext,
                  postmaster: Mailbox(parsing: configuration.abuse.postmaster),
                  mailStore: MailStoreKind(configuration.mailbox.store))
    }
}

extension MailStoreKind {
    init(_ store: Configuration.Mailbox.Store) {
        switch store {
        case .maildir: self = .maildir
        case .lmtp(.tcp(let host, let port)): self = .lmtp(.tcp(address: host, port: port))
        case .lmtp(.unix(let path)): self = .lmtp(.unix(path: path))
        }
    }
}
