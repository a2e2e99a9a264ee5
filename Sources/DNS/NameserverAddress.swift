#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A nameserver to query: an IP address and a UDP/TCP port.
///
/// Written in configuration as `127.0.0.1:5353`, `127.0.0.1` (port 53), `[::1]:5353` or
/// `::1`. Host names are refused: the resolver cannot resolve its own servers.
public struct NameserverAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family of ``host``.
    public enum Family: Sendable, Hashable {
        /// Dotted quad.
        case ipv4
        /// IPv6 text form.
        case ipv6
    }

    /// The IP address as text, without brackets.
    public var host: String
    /// The port, 53 unless given.
    public var port: UInt16
    /// Whether ``host`` is IPv4 or IPv6.
    public var family: Family

    /// Parses `IP`, `IP:port` or `[IPv6]:port`. Returns nil for anything else.
    public init?(parsing text: String) {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        var port: UInt16 = 53
        if let portText {
            guard let value = UInt16(portText), value > 0 else { return nil }
            port = value
        }
        let hostString = String(host)
        if NameserverAddress.isIPv4(hostString) {
            family = .ipv4
        } else if NameserverAddress.isIPv6(hostString) {
            family = .ipv6
        } else {
            return nil
        }
        self.host = hostString
        self.port = port
    }

    /// `127.0.0.1:5353` or `[::1]:5353`.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
