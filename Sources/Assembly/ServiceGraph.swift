import Abuse
import DKIM
import Directory
import Instruments
import Logging
import NIOCore
import POP3Server
import Policy
import SMTPServer
import ServerSupport
import ServiceLifecycle
import Spool

/// The server's services wired together once: the directory behind its cache, the abuse store
/// behind its write-behind buffer with the guard and the flusher, the session services on the
/// spool, the SMTP listeners, and the POP3 listeners on the Maildirs. SMTP AUTH and POP3 logins
/// go through one ``PasswordLogin``: one failure delay, one set of abuse counters, one lockout.
///
/// `serve` runs this graph, and the in-process tests run the same one, so that the tests
/// exercise the production wiring (the cache and the abuse buffer included).
public struct ServiceGraph: Sendable {
    /// What the graph is built from, besides the stores.
    public struct Settings: Sendable {
        /// The abuse rules' numbers.
        public var abuse: AbuseSettings
        /// Where the notice of a held account goes.
        public var postmaster: String
        /// The SMTP sessions' settings (its host name also signs the postmaster notice).
        public var smtp: SMTPListener.Settings
        /// The SMTP listeners.
        public var listeners: [ListenerSpec]
        /// Connections at once, in total and per client.
        public var maxConnections: Int
        public var maxConnectionsPerClient: Int
        /// The delay before a 535, doubled per recent failure (``AuthFailureDelay``).
        public var authFailureDelay: Duration
        /// The POP3 sessions' settings and listeners; no POP3 service without listeners.
        public var pop3: POP3Listener.Settings?
        public var pop3Listeners: [POP3ListenerSpec] = []
        /// `<data>/mailboxes`: the Maildirs local delivery writes and POP3 reads.
        public var mailboxRoot = ""
        /// Whether the session path answers from memory (``CachedDirectory``,
        /// ``BufferedAbuseStore``), as `serve` does; false reads the database at every step,
        /// for tests that compare both.
        public var answersFromMemory = true
        /// The trusted proxies, for listeners with `proxyProtocol` set.
        public var proxyProtocol: ProxyProtocolSettings?
        /// What the sessions and the abuse controls count (`[metrics]`); nothing by default.
        public var instruments = PortcullisInstruments.disabled

        public init(abuse: AbuseSettings, postmaster: String, smtp: SMTPListener.Settings, listeners: [ListenerSpec],
                    maxConnections: Int, maxConnectionsPerClient: Int, authFailureDelay: Duration) {
            self.abuse = abuse
            self.postmaster = postmaster
            self.smtp = smtp
            self.listeners = listeners
            self.maxConnections = maxConnections
            self.maxConnectionsPerClient = maxConnectionsPerClient
            self.authFailureDelay = authFailureDelay
        }
    }

    /// The directory the sessions read: the cache in front of the database, or the database.
    public let directory: any AccountDirectory
    /// The abuse store the guard uses: the buffer in front of the database, or the database.
    public let abuseStore: any AbuseStore
    /// The buffer, when the graph answers from memory.
    public let abuseBuffer: BufferedAbuseStore?
    public let abuse: AbuseGuard
    public let services: MailServices
    public let listener: SMTPListener
    /// The POP3 listeners; nil when none is configured.
    public let pop3Listener: POP3Listener?
    /// The password check both services use.
    public let login: PasswordLogin
    /// Writes the buffered abuse counters back; nil without a buffer.
    public let flusher: AbuseCounterFlusher?

    /// Wires the graph.
    ///
    /// - Parameters:
    ///   - directory: the account directory (the database).
    ///   - abuseStore: where the abuse state lives (the same database).
    ///   - clock: the abuse clock; the caches age on it too.
    public init(directory: any AccountDirectory, abuseStore: any AbuseStore, spool: Spool, policy: OP25BPolicy,
                settings: Settings, keyRing: DKIMKeyRing?, clock: AbuseClock = .system,
                group: any EventLoopGroup, logger: Logger) {
        if settings.answersFromMemory {
            let buffer = BufferedAbuseStore(wrapping: abuseStore, counters: AbuseRules.bufferedCounters(settings.abuse),
                                            clock: clock.now)
            self.directory = CachedDirectory(directory, clock: clock.now)
            self.abuseStore = buffer
            self.abuseBuffer = buffer
            self.flusher = AbuseCounterFlusher(store: buffer, logger: logger)
        } else {
            self.directory = directory
            self.abuseStore = abuseStore
            self.abuseBuffer = nil
            self.flusher = nil
        }
        abuse = AbuseGuard(
            store: self.abuseStore, settings: settings.abuse, policy: policy, clock: clock,
            notifier: SuspensionNotifier(spool: spool, hostname: settings.smtp.hostname, postmaster: settings.postmaster),
            instruments: settings.instruments.abuse, logger: logger)
        // One delay table: a client guessing over POP3 and SMTP is slowed by both.
        let delays = AuthFailureDelay(base: settings.authFailureDelay)
        login = PasswordLogin(directory: self.directory, abuse: abuse, delays: delays, logger: logger)
        services = MailServices(
            directory: self.directory, spool: spool, policy: policy,
            login: login,
            keyRing: keyRing, abuse: abuse, logger: logger)
        // `[limits]` counts connections of both protocols together.
        let limiter = ConnectionLimiter(maxTotal: settings.maxConnections, maxPerClient: settings.maxConnectionsPerClient)
        var smtp = settings.smtp
        smtp.instruments = settings.instruments.smtp
        listener = SMTPListener(
            specs: settings.listeners, settings: smtp, services: services,
            limiter: limiter, group: group, logger: logger, proxyProtocol: settings.proxyProtocol)
        if var pop3 = settings.pop3, !settings.pop3Listeners.isEmpty {
            pop3.instruments = settings.instruments.pop3
            pop3Listener = POP3Listener(
                specs: settings.pop3Listeners, settings: pop3,
                services: MaildropServices(mailboxRoot: settings.mailboxRoot, login: login, abuse: abuse, logger: logger),
                limiter: limiter, group: group, logger: logger, proxyProtocol: settings.proxyProtocol)
        } else {
            pop3Listener = nil
        }
    }

    /// The graph's services in the order a service group starts them: it stops them in reverse,
    /// so the listeners stop first (sessions drain), then whatever `middle` holds, and the
    /// abuse counters' final flush comes last.
    public func groupServices(around middle: [any Service]) -> [any Service] {
        (flusher.map { [$0] } ?? []) + middle + [listener] + (pop3Listener.map { [$0] } ?? [])
    }
}
