#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BlockingWork

/// A thread-safe stub resolver over glibc's libresolv.
///
/// Each lookup runs `res_nquery` on a private resolver state, on a small thread pool so that
/// callers on event loops never block. Nameservers come from the configuration (tests point
/// them at a local dnsmasq) or from /etc/resolv.conf.
///
/// ```swift
/// let resolver = DNSResolver(configuration: try .init(nameservers: ["127.0.0.1:5353"]))
/// let exchangers = try await resolver.mx("example.net")   // [10 mx.example.net]
/// ```
public final class DNSResolver: DNSResolving {
    /// The configuration in use.
    public let configuration: DNSResolverConfiguration
    private let pool: BlockingWorkPool

    /// Creates a resolver.
    public init(configuration: DNSResolverConfiguration = DNSResolverConfiguration()) {
        self.configuration = configuration
        self.pool = BlockingWorkPool(name: "portcullis.dns", maximumConcurrency: configuration.maximumConcurrentQueries)
    }

    /// The MX records of `domain`, sorted by preference; records of equal preference keep
    /// the order of the answer (routing shuffles them, RFC 5321 §5.1).
    public func mx(_ domain: String) async throws(DNSError) -> [MXRecord] {
        let records = try await lookup(domain, .mx, decode: MXRecord.init(answer:))
        return records.enumerated()
            .sorted { ($0.element.preference, $0.offset) < ($1.element.preference, $1.offset) }
            .map(\.element)
    }

    /// The IPv4 addresses of `host` (A records).
    public func ipv4Addresses(_ host: String) async throws(DNSError) -> [ResolvedAddress] {
        try await lookup(host, .a) { record -> ResolvedAddress? in
            // RFC 1035 §3.4.1: a 32-bit address.
            guard record.rdata.count == 4 else { return nil }
            return Self.text(of: record.rdata, family: AF_INET).map { ResolvedAddress(family: .ipv4, text: $0) }
        }
    }

    /// The IPv6 addresses of `host` (AAAA records).
    public func ipv6Addresses(_ host: String) async throws(DNSError) -> [ResolvedAddress] {
        try await lookup(host, .aaaa) { record -> ResolvedAddress? in
            // RFC 3596 §2.2: a 128-bit address.
            guard record.rdata.count == 16 else { return nil }
            return Self.text(of: record.rdata, family: AF_INET6).map { ResolvedAddress(family: .ipv6, text: $0) }
        }
    }

    /// The A and AAAA records of `host`: IPv6 first, then IPv4.
    ///
    /// Both lookups run concurrently. Any addresses found are returned even when the
    /// other family failed temporarily. With none: NXDOMAIN from either lookup means the
    /// name does not exist; otherwise a temporary failure of either wins over "no data",
    /// because the missing family might have had addresses.
    public func addresses(_ host: String) async throws(DNSError) -> [ResolvedAddress] {
        async let v6 = capture { () async throws(DNSError) in try await self.ipv6Addresses(host) }
        async let v4 = capture { () async throws(DNSError) in try await self.ipv4Addresses(host) }
        let results = await [v6, v4]
        let found = results.flatMap { (try? $0.get()) ?? [] }
        if !found.isEmpty { return found }
        let errors = results.compactMap { result -> DNSError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        if let notFound = errors.first(where: { if case .nameNotFound = $0 { return true } else { return false } }) {
            throw notFound
        }
        if let invalid = errors.first(where: { if case .invalidName = $0 { return true } else { return false } }) {
            throw invalid
        }
        if let transient = errors.first(where: { $0.isTransient }) {
            throw transient
        }
        throw .noData(name: host, type: .a)
    }

    /// The SRV records of `name`, sorted by priority then descending weight.
    public func srv(_ name: String) async throws(DNSError) -> [SRVRecord] {
        let records = try await lookup(name, .srv, decode: SRVRecord.init(answer:))
        return records.sorted { ($0.priority, -Int($0.weight)) < ($1.priority, -Int($1.weight)) }
    }

    /// The TXT records of `name`, each with its character-strings.
    public func txt(_ name: String) async throws(DNSError) -> [TXTRecord] {
        try await lookup(name, .txt, decode: TXTRecord.init(answer:))
    }

    private func capture(
        _ body: () async throws(DNSError) -> [ResolvedAddress]
    ) async -> Result<[ResolvedAddress], DNSError> {
        do throws(DNSError) {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    private func lookup<Record: Sendable>(
        _ name: String,
        _ type: DNSRecordType,
        decode: @escaping @Sendable (AnswerRecord) -> Record?
    ) async throws(DNSError) -> [Record] {
        let configuration = self.configuration
        let result = await pool.run {
            LibresolvQuery.run(name: name, type: type, configuration: configuration, decode: decode)
        }
        return try result.get()
    }

    private static func text(of bytes: UnsafeBufferPointer<UInt8>, family: Int32) -> String? {
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = out.withUnsafeMutableBufferPointer { buffer in
            inet_ntop(family, bytes.baseAddress, buffer.baseAddress, socklen_t(buffer.count))
        }
        guard written != nil else { return nil }
        return String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
