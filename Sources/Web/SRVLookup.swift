import DNS

/// Looks up SRV records. The web app uses it for RFC 6186 `_submission._tcp`
/// and RFC 8314 `_submissions._tcp` records of a visitor's provider domain.
///
/// The real implementation (libresolv) lives outside this module and is
/// injected; tests inject a fake.
public protocol SRVLookup: Sendable {
    /// The SRV records at `name` (e.g. `_submission._tcp.example.net`, no
    /// trailing dot). Returns an empty array when the name has no SRV records
    /// (NXDOMAIN or NODATA); throws when the lookup itself failed (timeout,
    /// SERVFAIL), so the page can say it could not check.
    func lookupSRV(name: String) async throws -> [SRVRecord]
}

/// An ``SRVLookup`` for installations without DNS: every lookup fails, so
/// the page says the provider's records could not be checked.
public struct UnavailableSRVLookup: SRVLookup {
    /// The error every lookup throws.
    public struct NotConfigured: Error, Sendable {}

    public init() {}

    public func lookupSRV(name: String) async throws -> [SRVRecord] {
        throw NotConfigured()
    }
}
