/// The lookups delivery needs. ``DNSResolver`` answers them from real nameservers; tests of
/// routing may answer them from a table.
public protocol DNSResolving: Sendable {
    /// The MX records of `domain`, sorted by preference (equal preferences in answer order).
    func mx(_ domain: String) async throws(DNSError) -> [MXRecord]
    /// The A and AAAA records of `host`, IPv6 first when both exist (RFC 6724 preference).
    func addresses(_ host: String) async throws(DNSError) -> [ResolvedAddress]
    /// The SRV records of `name` (e.g. `_submission._tcp.example.net`), sorted by priority.
    func srv(_ name: String) async throws(DNSError) -> [SRVRecord]
    /// The TXT records of `name`.
    func txt(_ name: String) async throws(DNSError) -> [TXTRecord]
}
