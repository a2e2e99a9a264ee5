import Foundation
@testable import Policy

/// Policies for the golden renderings.
enum RenderFixtures {
    /// Two blocked networks (one nested inside the other, same setting), one
    /// unblocked, nested mail hosts, active, nested and expired exemptions, and
    /// a reason with characters that must not reach the rules file raw.
    static func full() throws -> OP25BPolicy {
        let now = Fixtures.now
        let created = now - 30 * Fixtures.day
        return try OP25BPolicy(
            accessNetworks: [
                AccessNetworkSpec(name: "alato-express", prefixes: ["203.0.113.0/24", "2001:db8:100::/48", "198.18.0.0/15"], op25b: true),
                AccessNetworkSpec(name: "alato-express-s", prefixes: ["198.18.4.0/22", "2001:db8:101::/48"], op25b: true),
                AccessNetworkSpec(name: "alato-biz", prefixes: ["192.0.2.0/25", "2001:db8:300::/48"], op25b: false),
            ],
            mailHosts: ["198.51.100.25", "2001:db8:200::25", "198.51.100.24/29", "198.51.100.26"],
            blockedPorts: [25],
            exemptions: [
                Exemption(prefix: try IPPrefix("203.0.113.64/28"), reason: "static line \"Kaisha\" KK\nticket 42", created: created),
                Exemption(prefix: try IPPrefix("203.0.113.70/32"), reason: "nested inside the /28", created: created, until: now + 10 * Fixtures.day),
                Exemption(prefix: try IPPrefix("203.0.113.80/28"), reason: "trial ended", created: created, until: now - Fixtures.day),
                Exemption(prefix: try IPPrefix("2001:db8:100:1::/64"), reason: "business S plan, ticket 77", created: created, until: now + 90 * Fixtures.day),
                Exemption(prefix: try IPPrefix("198.18.4.9/32"), reason: "株式会社アラト 申請 #12", created: created, until: now + 2 * Fixtures.day),
            ])
    }

    /// One IPv4-only network, nothing else: empty sets must still be valid.
    static func minimal() throws -> OP25BPolicy {
        try OP25BPolicy(accessNetworks: [AccessNetworkSpec(name: "lab", prefixes: ["203.0.113.0/24"], op25b: true)],
                        mailHosts: [], blockedPorts: [465, 25])
    }
}
