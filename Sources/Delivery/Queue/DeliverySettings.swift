import DNS
import Foundation
import SMTPCore

/// Everything the delivery engine is told, with defaults.
///
/// `portcullis serve` makes it from `hostname`, the data directory and `[delivery]`; the fields
/// that file has no key for keep their defaults.
public struct DeliverySettings: Sendable {
    /// Our host name: EHLO, Reporting-MTA, bounce From.
    public var hostname: String
    /// The data directory: mailboxes under `mailboxes/`.
    public var dataDirectory: String
    /// Nameservers (`[delivery] nameservers`); empty means /etc/resolv.conf.
    public var nameservers: [String]
    /// Port for MX hosts (`[delivery] smtp_port`).
    public var smtpPort: Int
    /// Static routes (`[delivery] routes`).
    public var routes: [String: String]
    /// Retry backoff.
    public var retry: RetrySchedule
    /// After this long in the queue a deferred recipient fails (default 5 days).
    public var maximumQueueLifetime: TimeInterval
    /// A delay notice goes out once a recipient has waited this long (default 4 hours).
    public var delayNoticeAfter: TimeInterval
    /// Remote connections open at once, over all destinations.
    public var maximumConnections: Int
    /// Remote connections open at once to one destination.
    public var maximumConnectionsPerDestination: Int
    /// Most messages sent over one connection before it is closed and another is opened.
    public var maximumMessagesPerConnection: Int
    /// How long a connection with nothing more to send stays open for mail that is queued
    /// for its destination meanwhile, before QUIT (Postfix's connection cache keeps 2 s).
    public var connectionIdleTime: Duration
    /// Use STARTTLS when offered.
    public var useSTARTTLS: Bool
    /// After a failed TLS handshake, send in clear text instead of deferring.
    public var tlsFallbackToCleartext: Bool
    /// SMTP client timeouts (RFC 5321 §4.5.3.2 by default).
    public var timeouts: SMTPClientTimeouts
    /// How often the whole queue is scanned when nothing wakes it: a safety net. Commits and
    /// operator requests are announced and due times are known, so none of them waits for it.
    public var scanInterval: Duration
    /// Largest original message returned whole in a bounce; above it only the header is.
    public var maximumReturnedMessageSize: Int
    /// Where mail to the bare `<Postmaster>` goes (RFC 5321 §4.5.1 makes every server accept
    /// it); nil: it fails as unroutable.
    public var postmaster: Mailbox?
    /// Where local mail is kept (`[mailbox] store`): Maildirs here, or an LMTP server.
    public var mailStore: MailStoreKind

    /// Creates settings with defaults for everything but the host name and data directory.
    public init(hostname: String, dataDirectory: String, nameservers: [String] = [], smtpPort: Int = 25,
                routes: [String: String] = [:], retry: RetrySchedule = RetrySchedule(),
                maximumQueueLifetime: TimeInterval = 5 * 24 * 3600, delayNoticeAfter: TimeInterval = 4 * 3600,
                maximumConnections: Int = 20, maximumConnectionsPerDestination: Int = 4,
                maximumMessagesPerConnection: Int = 100, connectionIdleTime: Duration = .seconds(1), useSTARTTLS: Bool = true,
                tlsFallbackToCleartext: Bool = false, timeouts: SMTPClientTimeouts = .rfc5321,
                scanInterval: Duration = .seconds(60), maximumReturnedMessageSize: Int = 10 * 1024 * 1024,
                postmaster: Mailbox? = nil, mailStore: MailStoreKind = .maildir) {
        self.hostname = hostname
        self.dataDirectory = dataDirectory
        self.nameservers = nameservers
        self.smtpPort = smtpPort
        self.routes = routes
        self.retry = retry
        self.maximumQueueLifetime = maximumQueueLifetime
        self.delayNoticeAfter = delayNoticeAfter
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerDestination = maximumConnectionsPerDestination
        self.maximumMessagesPerConnection = maximumMessagesPerConnection
        self.connectionIdleTime = connectionIdleTime
        self.useSTARTTLS = useSTARTTLS
        self.tlsFallbackToCleartext = tlsFallbackToCleartext
        self.timeouts = timeouts
        self.scanInterval = scanInterval
        self.maximumReturnedMessageSize = maximumReturnedMessageSize
        self.postmaster = postmaster
        self.mailStore = mailStore
    }

    /// The mailbox a recipient's mail is delivered to: its own, or ``postmaster`` for the bare
    /// `<Postmaster>`.
    public func mailbox(for path: ForwardPath) -> Mailbox? {
        path.mailbox ?? postmaster
    }

    /// `<data>/mailboxes`.
    public var mailboxRoot: String { "\(dataDirectory)/mailboxes" }

    /// The resolver configuration for ``nameservers``.
    public func resolverConfiguration() throws(DNSError) -> DNSResolverConfiguration {
        try DNSResolverConfiguration(nameservers: nameservers)
    }
}
