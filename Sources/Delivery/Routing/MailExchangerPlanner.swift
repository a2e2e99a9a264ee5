import DNS
import SMTPCore

/// Turns a ``Route`` into the ordered list of hosts to try (RFC 5321 §5.1).
///
/// - MX records by preference, random order among equal preferences (§5.1);
/// - no MX record: the domain itself, as an implicit MX of preference 0 (§5.1);
/// - a null MX (RFC 7505 §3) fails at once with 556 5.1.10 (RFC 7505 §4.1);
/// - NXDOMAIN fails with 550 5.1.2 (bad destination system, RFC 3463 §3.2);
/// - a temporary DNS failure defers with 451 4.4.3 (directory server failure, RFC 3463 §3.5).
public struct MailExchangerPlanner: Sendable {
    /// A host to try, with the port to use. Its addresses are looked up when it is reached.
    public struct Host: Sendable, Hashable {
        /// Host name, or an IP address when ``isAddress``.
        public var name: String
        /// TCP port.
        public var port: Int
        /// True when `name` is already an IP address (a literal or a static route).
        public var isAddress: Bool

        /// Creates a host.
        public init(name: String, port: Int, isAddress: Bool) {
            self.name = name
            self.port = port
            self.isAddress = isAddress
        }
    }

    /// What planning produced.
    public enum Plan: Sendable, Hashable {
        /// Try these hosts in order.
        case hosts([Host])
        /// No host can be tried: every recipient of the domain gets this result.
        case unroutable(RecipientResult)
    }

    private let resolver: any DNSResolving

    /// Creates a planner asking `resolver`.
    public init(resolver: any DNSResolving) {
        self.resolver = resolver
    }

    /// Plans hosts for a remote route.
    public func plan(_ route: Route) async -> Plan {
        var generator = SystemRandomNumberGenerator()
        return await plan(route, using: &generator)
    }

    /// Plans hosts, shuffling equal preferences with `generator` (tests pass a seeded one).
    public func plan(_ route: Route, using generator: inout some RandomNumberGenerator) async -> Plan {
        switch route {
        case .local:
            return .hosts([])
        case .relay(let host, let port):
            return .hosts([Host(name: host, port: port, isAddress: Self.isIPAddress(host))])
        case .mx(let domain, let port):
            if let literal = Self.addressLiteral(domain) {
                return .hosts([Host(name: literal, port: port, isAddress: true)])
            }
            let records: [MXRecord]
            do {
                records = try await resolver.mx(domain)
            } catch {
                switch error {
                case .noData:
                    // RFC 5321 §5.1: no MX means the domain is its own (implicit) MX.
                    return .hosts([Host(name: domain, port: port, isAddress: false)])
                case .nameNotFound, .invalidName:
                    return .unroutable(RecipientResult(kind: .failed, reply: .domainDoesNotExist(domain, detail: "\(error)")))
                case .temporaryFailure, .invalidConfiguration:
                    return .unroutable(RecipientResult(kind: .deferred, reply: .mailExchangerLookupFailed(domain: domain, detail: "\(error)")))
                }
            }
            if records.contains(where: \.isNullMX) {
                return .unroutable(RecipientResult(kind: .failed, reply: .nullMX(domain)))
            }
            return .hosts(Self.order(records, using: &generator).map { Host(name: $0.exchange, port: port, isAddress: false) })
        }
    }

    /// MX records by ascending preference, shuffled within each preference (RFC 5321 §5.1).
    public static func order(_ records: [MXRecord], using generator: inout some RandomNumberGenerator) -> [MXRecord] {
        let groups = Dictionary(grouping: records, by: \.preference)
        var ordered: [MXRecord] = []
        for preference in groups.keys.sorted() {
            var group = groups[preference] ?? []
            group.shuffle(using: &generator)
            // Duplicate exchanges under one preference would be tried twice for nothing.
            var seen = Set<String>()
            ordered += group.filter { seen.insert($0.exchange.lowercased()).inserted }
        }
        return ordered
    }

    /// The address inside `[198.51.100.7]` or `[IPv6:2001:db8::7]` (RFC 5321 §4.1.3).
    static func addressLiteral(_ domain: String) -> String? {
        guard domain.hasPrefix("["), domain.hasSuffix("]") else { return nil }
        var inner = String(domain.dropFirst().dropLast())
        if inner.lowercased().hasPrefix("ipv6:") { inner = String(inner.dropFirst(5)) }
        return isIPAddress(inner) ? inner : nil
    }

    static func isIPAddress(_ text: String) -> Bool {
        NameserverAddress(parsing: text.contains(":") ? "[\(text)]:53" : text) != nil
    }
}
