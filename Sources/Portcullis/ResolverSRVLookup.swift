import DNS
import Web

/// The customer web's RFC 6186 SRV look-ups, answered by the delivery engine's libresolv resolver.
struct ResolverSRVLookup: SRVLookup {
    let resolver: DNSResolver

    func lookupSRV(name: String) async throws -> [SRVRecord] {
        do {
            return try await resolver.srv(name)
        } catch {
            // No such name or no SRV records: the provider publishes none (RFC 6186 §3).
            if Self.meansNoRecords(error) { return [] }
            throw error
        }
    }

    private static func meansNoRecords(_ error: DNSError) -> Bool {
        switch error {
        case .nameNotFound, .noData: return true
        default: return false
        }
    }
}
