import Policy

/// Finds the visitor's address: the connection's peer, or, when that peer is
/// one of the configured reverse proxies (`[web] trusted_proxies`), the address
/// the proxy reports in X-Forwarded-For.
///
/// X-Forwarded-For lists the original client first and each proxy appends the
/// address it received the request from. Only entries added by trusted proxies
/// can be believed, so the list is read from the right, skipping trusted
/// proxies; the first untrusted entry is the client. Anything a visitor wrote
/// into the header themselves lies to the left of that and is ignored.
public struct ClientAddressResolver: Sendable {
    /// Prefixes of the proxies whose X-Forwarded-For is believed.
    public let trustedProxies: [IPPrefix]

    /// RFC 7239 §5.2 suggests no limit; we cap the entries read so a long
    /// header cannot make us work hard.
    static let maximumForwardedEntries = 32

    public init(trustedProxies: [IPPrefix]) {
        self.trustedProxies = trustedProxies
    }

    /// Parses `[web] trusted_proxies` (addresses or prefixes). Entries that do not
    /// parse are returned separately so the caller can log them; they trust nobody.
    public static func parse(_ entries: [String]) -> (resolver: ClientAddressResolver, invalid: [String]) {
        var prefixes: [IPPrefix] = []
        var invalid: [String] = []
        for entry in entries {
            if let prefix = IPPrefix(parsing: entry) {
                prefixes.append(prefix)
            } else {
                invalid.append(entry)
            }
        }
        return (ClientAddressResolver(trustedProxies: prefixes), invalid)
    }

    /// The client address for a request from `peer` with the given
    /// X-Forwarded-For header values (all occurrences, in order).
    public func clientAddress(peer: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard let peer, isTrusted(peer) else { return peer?.unmappingIPv4 }
        let entries = forwardedFor
            .flatMap { $0.split(separator: ",") }
            .suffix(ClientAddressResolver.maximumForwardedEntries)
        var client = peer
        for entry in entries.reversed() {
            // An entry that is not an address (e.g. "unknown", RFC 7239 §6.3
            // obfuscated names) ends the trusted chain: the last good one stands.
            guard let address = ClientAddressResolver.address(from: entry.trimmingSpaces) else { break }
            client = address
            if !isTrusted(address) { break }
        }
        return client.unmappingIPv4
    }

    private func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// An address from one X-Forwarded-For entry: plain, `[v6]`, `[v6]:port` or `v4:port`.
    static func address(from entry: Substring) -> IPAddress? {
        if let address = IPAddress(parsing: entry) { return address }
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            return IPAddress(parsing: entry[entry.index(after: entry.startIndex)..<close])
        }
        if let colon = entry.lastIndex(of: ":"), entry.firstIndex(of: ":") == colon {
            return IPAddress(parsing: entry[..<colon])
        }
        return nil
    }
}
