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

/// A seeded generator so shuffles are reproducible (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
