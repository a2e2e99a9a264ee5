/// One DNS SRV record (RFC 2782), as the web needs it. (Named apart from the DNS
/// module's `SRVRecord` so a file importing both needs no qualification.)
public struct ServiceRecord: Sendable, Hashable, Codable {
    /// Lower is tried first.
    public var priority: UInt16
    /// Relative share among records of the same priority.
    public var weight: UInt16
    public var port: UInt16
    /// The target host, without the trailing dot; `.` (RFC 2782) or empty means
    /// "service not offered" (RFC 6186 §4).
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    /// True when the record says the service is decidedly not available.
    public var isServiceUnavailable: Bool { target == "." || target.isEmpty }
}

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
    func lookupSRV(name: String) async throws -> [ServiceRecord]
}

/// An ``SRVLookup`` for installations without DNS: every lookup fails, so
/// the page says the provider's records could not be checked.
public struct UnavailableSRVLookup: SRVLookup {
    /// The error every lookup throws.
    public struct NotConfigured: Error, Sendable {}

    public init() {}

    public func lookupSRV(name: String) async throws -> [ServiceRecord] {
        throw NotConfigured()
    }
}
