/// Picks the ``Route`` for a recipient domain.
///
/// Order (DESIGN.md `[delivery]`): hosted domains are local; then a static route for the
/// exact domain; then the `*` smarthost; otherwise the MX records on `smtp_port`.
/// Like Postfix's transport maps, a static route overrides DNS.
public struct RoutingTable: Sendable, Hashable {
    /// Static routes, keys lowercased, values parsed.
    public let routes: [String: StaticRoute]
    /// The port used for MX hosts.
    public let smtpPort: Int

    /// A `host:port` route target.
    public struct StaticRoute: Sendable, Hashable {
        /// Host name or IP address (without brackets).
        public var host: String
        /// TCP port (25 when not given).
        public var port: Int

        /// Parses `host`, `host:port`, `[IPv6]:port` or `IPv6`.
        public init?(parsing text: String) {
            var host = Substring(text.trimmingWhitespace())
            var port = 25
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { return nil }
                let rest = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else { return nil }
                    port = value
                }
            } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
                guard let value = Int(host[host.index(after: colon)...]) else { return nil }
                port = value
                host = host[..<colon]
            }
            guard !host.isEmpty, (1...65535).contains(port) else { return nil }
            self.host = String(host)
            self.port = port
        }
    }

    /// Errors in `[delivery] routes`.
    public struct InvalidRoute: Error, Sendable, CustomStringConvertible {
        /// The domain key.
        public var domain: String
        /// The value that did not parse.
        public var value: String
        /// What to fix.
        public var description: String {
            "[delivery] routes: \"\(domain)\" = \"\(value)\" is not host, host:port or [address]:port"
        }
    }

    /// Builds the table from the configuration's routes and port.
    public init(routes: [String: String], smtpPort: Int) throws(InvalidRoute) {
        var parsed: [String: StaticRoute] = [:]
        for (domain, value) in routes {
            guard let route = StaticRoute(parsing: value) else { throw InvalidRoute(domain: domain, value: value) }
            parsed[domain.lowercased()] = route
        }
        self.routes = parsed
        self.smtpPort = smtpPort
    }

    /// The route for `domain`, given whether the directory hosts it.
    public func route(for domain: String, isHosted: Bool) -> Route {
        if isHosted { return .local }
        let key = domain.lowercased()
        if let route = routes[key] ?? routes["*"] {
            return .relay(host: route.host, port: route.port)
        }
        return .mx(domain: key, port: smtpPort)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
