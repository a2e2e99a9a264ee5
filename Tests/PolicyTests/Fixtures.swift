import Foundation
@testable import Policy

/// A small ISP used across the tests: one blocked line product, one business
/// product with OP25B off, two mail hosts, exemptions active and expired.
enum Fixtures {
    /// The fixed "now" of the tests: 2025-06-01T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_748_736_000)
    static let day: TimeInterval = 86_400

    static let networks = [
        AccessNetworkSpec(name: "alato-express", prefixes: ["203.0.113.0/24", "2001:db8:100::/48"], op25b: true),
        AccessNetworkSpec(name: "alato-biz", prefixes: ["192.0.2.0/25", "2001:db8:300::/48"], op25b: false),
    ]
    static let mailHosts = ["198.51.100.25", "2001:db8:200::25"]

    static func exemption(_ prefix: String, _ reason: String, until: Date?) -> Exemption {
        Exemption(prefix: try! IPPrefix(prefix), reason: reason, created: now - 30 * day, until: until)
    }

    static let exemptions = [
        exemption("203.0.113.64/28", "static line, ticket 42", until: nil),
        exemption("203.0.113.80/28", "trial ended", until: now - day),
        exemption("2001:db8:100:1::/64", "business S plan, ticket 77", until: now + 90 * day),
        exemption("2001:db8:100:2::/64", "expired v6", until: now - 1),
    ]

    static func policy() throws -> OP25BPolicy {
        try OP25BPolicy(accessNetworks: networks, mailHosts: mailHosts, exemptions: exemptions)
    }

    static func ip(_ text: String) -> IPAddress { try! IPAddress(text) }
}

extension OP25BPolicy {
    /// Tests build exemptions as values; the directory hands them over as ``ExemptionSpec`` text.
    init(accessNetworks: [AccessNetworkSpec], mailHosts: [String], blockedPorts: [Int] = [25], exemptions: [Exemption]) throws {
        try self.init(accessNetworks: accessNetworks, mailHosts: mailHosts, blockedPorts: blockedPorts,
                      exemptions: exemptions.map {
                          ExemptionSpec(prefix: $0.prefix.description, reason: $0.reason, created: $0.created, until: $0.until)
                      })
    }
}
