import Policy

/// Everything `portcullis.toml` says, with defaults filled in and paths resolved against the data dir.
///
/// Read once at start-up and passed down. The keys are the contract in DESIGN.md.
public struct Configuration: Sendable, Equatable {
    /// Host name for the banner, EHLO and Received headers.
    public var hostname: String
    /// Directory holding the config, TLS material, the directory database and the spool.
    public var dataDirectory: String
    public var tls: TLS
    /// `[directory]`: the account database.
    public var directory: DirectorySettings
    public var smtp: SMTP
    public var submission: Submission
    public var limits: Limits
    public var delivery: Delivery
    public var accessNetworks: [AccessNetwork]
    public var op25b: OP25B
    public var web: Web
    /// `[client_settings]`: what customers are told to configure.
    public var clientSettings: ClientSettings
    /// `[abuse]`: rate limits, AUTH failure defence, compromised-account hold.
    public var abuse = Abuse()
    /// `[spool]`: the free space mail needs.
    public var spool = SpoolSettings()
    /// `[process]`: the user the server runs as.
    public var process = ProcessSettings()
    /// `[pop3]`: mailbox access for customers.
    public var pop3 = POP3()
    /// `[mailbox]`: where local mail is kept.
    public var mailbox = Mailbox()
    /// `[metrics]`: the Prometheus endpoint; off by default.
    public var metrics = MetricsSettings()

    public struct TLS: Sendable, Equatable {
        public var certificatePath: String
        public var privateKeyPath: String
    }

    /// The port-25 service.
    public struct SMTP: Sendable, Equatable {
        public var listen: [ListenAddress]
        /// `greet_pause`: milliseconds to hold the 220 greeting; a client that talks first is
        /// refused (RFC 5321 §3.1, postscreen's pregreet test). 0: greet at once.
        public var greetPauseMilliseconds: Int = 0
        /// `proxy_protocol`: connections from `[limits] trusted_proxies` start with a PROXY header.
        public var proxyProtocol = false
    }

    public struct Submission: Sendable, Equatable {
        public var listen: [ListenAddress]
        public var implicitTLSListen: [ListenAddress]
        public var maxMessageSize: Int
        public var maxRecipients: Int
        /// `proxy_protocol`, for both submission listeners (STARTTLS and implicit TLS).
        public var proxyProtocol = false
    }

    /// Connection and session limits shared by all SMTP listeners.
    public struct Limits: Sendable, Equatable {
        public var maxConnections: Int
        public var maxConnectionsPerClient: Int
        /// Errors in one session before 421 and disconnect.
        public var maxErrors: Int
        /// RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for a command.
        public var commandTimeoutSeconds: Int
        /// RFC 5321 §4.5.3.2.6: 10 minutes between DATA blocks.
        public var dataTimeoutSeconds: Int
        /// Grace period for transactions in DATA when the server is told to stop.
        public var shutdownGraceSeconds: Int
        /// Base delay before a failed AUTH is answered; doubles with repeated failures from a client.
        public var authFailureDelayMilliseconds: Int
        /// `trusted_proxies`: the load balancers whose PROXY header is believed, on the
        /// listeners with `proxy_protocol = true`.
        public var trustedProxies: [IPPrefix] = []
    }

    public struct Delivery: Sendable, Equatable {
        public var nameservers: [String]
        public var smtpPort: Int
        public var routes: [String: String]
        /// Seconds before the first retry of a deferred recipient; doubles up to `retryMaxSeconds`.
        public var retryInitialSeconds: Int = 300
        public var retryMaxSeconds: Int = 3600
        /// After this long in the queue a recipient fails and is bounced (Postfix: 5 days).
        public var maxQueueLifetimeSeconds: Int = 432_000
        /// A delay notice goes to the sender after this long, when its DSN NOTIFY allows.
        public var delayNoticeAfterSeconds: Int = 14_400
        public var maxConnections: Int = 20
        public var maxConnectionsPerDestination: Int = 4
        /// Deliver in cleartext when a server offers STARTTLS but the handshake fails.
        public var tlsFallbackToCleartext: Bool = false
    }

    /// `[[access_networks]]`: raw prefixes; the Policy module validates and models them.
    public struct AccessNetwork: Sendable, Equatable {
        public var name: String
        public var prefixes: [String]
        public var op25b: Bool
    }

    public struct OP25B: Sendable, Equatable {
        public var mailHosts: [String]
        public var blockedPorts: [Int]
        /// `collect`: `serve` samples the blocked-attempt counters and flags probably infected lines.
        public var collect = false
        /// `sample_interval`, seconds between samples.
        public var sampleIntervalSeconds = 60
        /// `counters_file`: read the counters from this `nft -j` JSON file instead of this host's nft.
        public var countersFile: String? = nil
        /// `infected_threshold`: more attempts than this in 24 hours…
        public var infectedThreshold = 100
        /// `infected_min_destinations`: …to more distinct destinations than this means probably infected.
        public var infectedMinDestinations = 10
        /// `abuse_contact`: where the notice of a newly flagged line goes; unset means `[abuse] postmaster`.
        public var abuseContact: String? = nil
    }

    public struct Web: Sendable, Equatable {
        public var listen: [ListenAddress]
        public var trustedProxies: [String]
        /// The mail host name customers are told to use (autoconfig, profiles, guides) when it
        /// differs from `hostname`, e.g. behind a load balancer.
        public var publicHost: String? = nil
        /// `proxy_protocol`: the web listeners read a PROXY header from `[limits] trusted_proxies`.
        public var proxyProtocol = false
    }

}
