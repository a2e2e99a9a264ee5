/// How the resolver reaches its nameservers.
public struct DNSResolverConfiguration: Sendable, Hashable {
    /// The most nameservers libresolv keeps (`MAXNS` in <resolv.h>).
    public static let maximumNameservers = 3

    /// Nameservers to query in order; empty means those of /etc/resolv.conf.
    public var nameservers: [NameserverAddress]
    /// Seconds to wait for one answer before trying the next server (libresolv `retrans`).
    public var timeoutSeconds: Int
    /// How many rounds over the servers before giving up (libresolv `retry`).
    public var attempts: Int
    /// Lookups that may block a thread at the same time; more queue up.
    public var maximumConcurrentQueries: Int

    /// Creates a configuration. The defaults match glibc's (5 s, 2 attempts).
    public init(nameservers: [NameserverAddress] = [], timeoutSeconds: Int = 5, attempts: Int = 2,
                maximumConcurrentQueries: Int = 8) {
        self.nameservers = nameservers
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
        self.maximumConcurrentQueries = maximumConcurrentQueries
    }

    /// Parses nameservers as written in `[delivery] nameservers`, e.g. `["127.0.0.1:5353"]`.
    ///
    /// Throws ``DNSError/invalidConfiguration(_:)`` naming the first entry that is not an IP
    /// address with an optional port, or when there are more than three.
    public init(nameservers texts: [String], timeoutSeconds: Int = 5, attempts: Int = 2) throws(DNSError) {
        var parsed: [NameserverAddress] = []
        for text in texts {
            guard let address = NameserverAddress(parsing: text) else {
                throw .invalidConfiguration("nameserver \"\(text)\" is not an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53")
            }
            parsed.append(address)
        }
        guard parsed.count <= Self.maximumNameservers else {
            throw .invalidConfiguration("at most \(Self.maximumNameservers) nameservers are supported, \(parsed.count) given")
        }
        self.init(nameservers: parsed, timeoutSeconds: timeoutSeconds, attempts: attempts)
    }
}
