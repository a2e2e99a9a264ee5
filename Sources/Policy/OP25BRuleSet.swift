import Foundation

/// What a firewall rendering of the policy contains at one moment, shared by
/// ``NFTablesRenderer`` and ``IPTablesRenderer`` so both say the same thing.
///
/// Every list is sorted (IPv4 first, then by address) and free of prefixes
/// that lie inside another entry of the same list: nftables refuses
/// overlapping elements in an interval set ("conflicting intervals"), and a
/// nested entry changes nothing about which addresses match.
struct OP25BRuleSet: Sendable {
    /// A subscriber prefix with the access network it belongs to.
    struct Subscriber: Sendable {
        let prefix: IPPrefix
        let network: String
    }

    /// Prefixes of networks with `op25b = true`.
    let subscribers: [Subscriber]
    /// Exemptions active at render time.
    let exemptions: [Exemption]
    /// The ISP's mail hosts.
    let mailHosts: [IPPrefix]
    /// Blocked TCP destination ports.
    let ports: [Int]
    /// Exemptions left out because they had expired at render time.
    let expiredCount: Int
    /// The earliest expiry among the rendered exemptions: after it the rules
    /// must be rendered and applied again, or the exemption stays open.
    let nextExpiry: Date?
    /// Networks with OP25B off, named in the header so a reviewer sees why they are absent.
    let unblockedNetworks: [String]
    let blockedNetworks: [String]

    init(policy: OP25BPolicy, now: Date) {
        var subscribers: [Subscriber] = []
        for network in policy.accessNetworks where network.op25b {
            subscribers += network.prefixes.map { Subscriber(prefix: $0, network: network.name) }
        }
        self.subscribers = OP25BRuleSet.outermost(subscribers, \.prefix)
        let active = policy.activeExemptions(at: now)
        self.exemptions = OP25BRuleSet.outermost(active, \.prefix)
        self.mailHosts = OP25BRuleSet.outermost(policy.mailHosts, \.self)
        self.ports = policy.blockedPorts
        self.expiredCount = policy.exemptions.count - active.count
        self.nextExpiry = self.exemptions.compactMap(\.until).min()
        self.blockedNetworks = policy.accessNetworks.filter(\.op25b).map(\.name)
        self.unblockedNetworks = policy.accessNetworks.filter { !$0.op25b }.map(\.name)
    }

    /// Sorted, without duplicates and without entries inside another entry.
    static func outermost<Element>(_ items: [Element], _ prefix: (Element) -> IPPrefix) -> [Element] {
        var table = PrefixTable<Int>()
        var kept: [Int] = []
        for (index, item) in items.enumerated() where table.insert(prefix(item), index) == nil {
            kept.append(index)
        }
        let outer = kept.filter { index in
            let p = prefix(items[index])
            return table.matches(p, shorterThan: p.length).isEmpty
        }
        return outer.map { items[$0] }.sorted { prefix($0) < prefix($1) }
    }

    /// Operator text made safe inside a quoted comment of nft or iptables:
    /// neither has an escape for `"`, a newline would end the line (and could
    /// smuggle a rule in), and both cap comments (nftables at 128 bytes).
    static func commentText(_ text: String, maxBytes: Int = 100) -> String {
        var result = ""
        var bytes = 0
        for character in text {
            let safe: Character
            switch character {
            case "\"": safe = "'"
            case "\\": safe = "/"
            default:
                safe = character.unicodeScalars.allSatisfy({ !$0.properties.generalCategory.isControlOrSeparatorLine }) ? character : " "
            }
            let size = String(safe).utf8.count
            if bytes + size > maxBytes { break }
            result.append(safe)
            bytes += size
        }
        return result
    }

    /// The comment shown next to an exemption.
    static func exemptionComment(_ exemption: Exemption) -> String {
        let expiry = exemption.until.map { "until \(Timestamp.format($0))" } ?? "no expiry"
        return commentText("\(expiry): \(exemption.reason)")
    }
}

private extension Unicode.GeneralCategory {
    /// Controls, line and paragraph separators, format characters: anything that
    /// may break or disguise a line of a rules file.
    var isControlOrSeparatorLine: Bool {
        switch self {
        case .control, .lineSeparator, .paragraphSeparator, .format, .surrogate, .unassigned, .privateUse: true
        default: false
        }
    }
}
