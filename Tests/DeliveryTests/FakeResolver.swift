import DNS

/// A resolver answering from a table, for routing tests without a DNS server.
struct FakeResolver: DNSResolving {
    var mxRecords: [String: Result<[MXRecord], DNSError>] = [:]
    var addressRecords: [String: Result<[ResolvedAddress], DNSError>] = [:]

    func mx(_ domain: String) async throws(DNSError) -> [MXRecord] {
        try (mxRecords[domain] ?? .failure(.nameNotFound(name: domain))).get()
    }

    func addresses(_ host: String) async throws(DNSError) -> [ResolvedAddress] {
        try (addressRecords[host] ?? .failure(.nameNotFound(name: host))).get()
    }

    func srv(_ name: String) async throws(DNSError) -> [SRVRecord] { throw .noData(name: name, type: .srv) }
    func txt(_ name: String) async throws(DNSError) -> [TXTRecord] { throw .noData(name: name, type: .txt) }
}
