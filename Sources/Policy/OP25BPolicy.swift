import Foundation

/// The Outbound Port 25 Blocking policy: which subscriber addresses may open
/// TCP connections to which ports, and why.
///
/// One value serves three consumers: the firewall renderers
/// (``NFTablesRenderer``, ``IPTablesRenderer``), the port-25 service
/// (``RelayPolicy``) and the web checker (``accessNetwork(containing:)``), so
/// the rules, the relay decision and the customer-facing answer cannot drift apart.
///
/// Input rules, checked by the initialisers (each error names the entry):
/// - every prefix parses strictly (no host bits, no v4-mapped IPv6 prefix);
/// - network names are non-empty and unique; every network lists a prefix;
/// - a prefix is listed once; prefixes of one network do not nest (one would be redundant);
/// - prefixes of two networks may nest only when both have the same `op25b`
///   setting (e.g. a business pool carved out of a wider pool); the most
///   specific network then answers ``accessNetwork(containing:)``. With
///   opposite settings they are refused: an address would be both blocked
///   and not, and the firewall (which only lists blocked networks) would
///   disagree with the decision function. Exemptions exist to release addresses;
/// - mail hosts may nest or repeat (harmless: renderers merge them);
/// - blocked ports are 1...65535, at least one; duplicates are merged;
/// - exemptions have a reason, expire after they were created, lie inside one
///   access network prefix, and are not listed twice; nested exemptions are
///   fine (a /32 with a later expiry inside a /28).
public struct OP25BPolicy: Sendable {
    /// The access networks, in configuration order.
    public let accessNetworks: [AccessNetwork]
    /// The ISP's mail hosts: the only port-25 destinations allowed from blocked networks.
    public let mailHosts: [IPPrefix]
    /// Blocked TCP destination ports, sorted, without duplicates.
    public let blockedPorts: [Int]
    /// Exemptions, active or expired, in the order given.
    public let exemptions: [Exemption]

    private let networkTable: PrefixTable<Int>
    private let mailHostTable: PrefixTable<Int>
    private let exemptionTable: PrefixTable<Int>

    /// The default blocked ports: SMTP only (RFC 5321 §4.5.4.2 port 25).
    public static let defaultBlockedPorts = [25]

    /// Builds a policy from parsed values and checks it (see the type's rules).
    public init(
        accessNetworks: [AccessNetwork],
        mailHostPrefixes: [IPPrefix],
        blockedPorts: [Int] = OP25BPolicy.defaultBlockedPorts,
        exemptions: [Exemption] = []
    ) throws(PolicyError) {
        self.accessNetworks = accessNetworks
        self.mailHosts = mailHostPrefixes
        self.exemptions = exemptions

        // Networks: names, then prefixes.
        var firstEntryForName: [String: String] = [:]
        var networks = PrefixTable<Int>()
        for (index, network) in accessNetworks.enumerated() {
            let entry = OP25BPolicy.entryName(networkAt: index, accessNetworks)
            if network.name.allSatisfy(\.isWhitespace) {
                throw PolicyError(entry: entry, problem: .emptyName)
            }
            if let first = firstEntryForName[network.name] {
                throw PolicyError(entry: entry, problem: .duplicateName(firstEntry: first))
            }
            firstEntryForName[network.name] = entry
            if network.prefixes.isEmpty {
                throw PolicyError(entry: entry, problem: .noPrefixes)
            }
            for prefix in network.prefixes {
                if let other = networks.insert(prefix, index) {
                    throw PolicyError(entry: entry, problem: .duplicatePrefix(
                        prefix, otherEntry: OP25BPolicy.entryName(networkAt: other, accessNetworks)))
                }
            }
        }
        // Nesting: each prefix against every strictly wider one that encloses it.
        // Reported in configuration order of the narrower prefix, so the first error is stable.
        for (index, network) in accessNetworks.enumerated() {
            for prefix in network.prefixes {
                for (outer, outerIndex) in networks.matches(prefix, shorterThan: prefix.length) {
                    let entry = OP25BPolicy.entryName(networkAt: index, accessNetworks)
                    if outerIndex == index {
                        throw PolicyError(entry: entry, problem: .nestedInSameNetwork(inner: prefix, outer: outer))
                    }
                    if accessNetworks[outerIndex].op25b != network.op25b {
                        throw PolicyError(entry: entry, problem: .conflictingOverlap(
                            prefix: prefix, otherPrefix: outer,
                            otherEntry: OP25BPolicy.entryName(networkAt: outerIndex, accessNetworks)))
                    }
                }
            }
        }
        self.networkTable = networks

        var hosts = PrefixTable<Int>()
        for (index, prefix) in mailHostPrefixes.enumerated() {
            hosts.insert(prefix, index)
        }
        self.mailHostTable = hosts

        // RFC 6335 §6: port 0 is reserved; TCP ports are 16 bits.
        var ports = Set<Int>()
        for (index, port) in blockedPorts.enumerated() {
            guard (1...65535).contains(port) else {
                throw PolicyError(entry: "op25b.blocked_ports[\(index)]", problem: .invalidPort(port))
            }
            ports.insert(port)
        }
        guard !ports.isEmpty else {
            throw PolicyError(entry: "op25b.blocked_ports", problem: .noBlockedPorts)
        }
        self.blockedPorts = ports.sorted()

        var exempt = PrefixTable<Int>()
        for (index, exemption) in exemptions.enumerated() {
            let entry = "exemptions[\(index)] \(exemption.prefix)"
            try exemption.checkFields(entry: entry)
            try OP25BPolicy.checkInsideAccessNetworks(exemption.prefix, entry: entry, networks)
            if let other = exempt.insert(exemption.prefix, index) {
                throw PolicyError(entry: entry, problem: .duplicatePrefix(
                    exemption.prefix, otherEntry: "exemptions[\(other)]"))
            }
        }
        self.exemptionTable = exempt
    }

    /// Builds a policy from configuration text: access networks as
    /// `[[access_networks]]` gives them and `[op25b] mail_hosts` strings
    /// (addresses or prefixes). Errors name the entry, e.g.
    /// `access_networks[1] "alato-biz": prefix "203.0.113.5/24": host bits set, did you mean 203.0.113.0/24`.
    public init(
        accessNetworks specs: [AccessNetworkSpec],
        mailHosts: [String],
        blockedPorts: [Int] = OP25BPolicy.defaultBlockedPorts,
        exemptions exemptionSpecs: [ExemptionSpec] = []
    ) throws(PolicyError) {
        var networks: [AccessNetwork] = []
        for (index, spec) in specs.enumerated() {
            var prefixes: [IPPrefix] = []
            for text in spec.prefixes {
                do {
                    prefixes.append(try IPPrefix(text))
                } catch {
                    throw PolicyError(entry: OP25BPolicy.entryName(index: index, name: spec.name),
                                      problem: .invalidPrefix(text, error))
                }
            }
            networks.append(AccessNetwork(name: spec.name, prefixes: prefixes, op25b: spec.op25b))
        }
        var hosts: [IPPrefix] = []
        for (index, text) in mailHosts.enumerated() {
            do {
                hosts.append(try IPPrefix(text))
            } catch {
                throw PolicyError(entry: "op25b.mail_hosts[\(index)]", problem: .invalidPrefix(text, error))
            }
        }
        var exemptions: [Exemption] = []
        for (index, spec) in exemptionSpecs.enumerated() {
            do {
                exemptions.append(Exemption(prefix: try IPPrefix(spec.prefix), reason: spec.reason,
                                            created: spec.created, until: spec.until))
            } catch {
                throw PolicyError(entry: "exemptions[\(index)] \"\(IPParseError.clip(spec.prefix))\"",
                                  problem: .invalidPrefix(spec.prefix, error))
            }
        }
        try self.init(accessNetworks: networks, mailHostPrefixes: hosts,
                      blockedPorts: blockedPorts, exemptions: exemptions)
    }

    // MARK: Questions

    /// The access network whose prefix contains `address`, most specific first;
    /// nil when the address is not on any of the ISP's lines. A v4-mapped IPv6
    /// address is looked up as IPv4. The web checker asks this about its visitor.
    public func accessNetwork(containing address: IPAddress) -> AccessNetwork? {
        networkTable.longestMatch(address).map { accessNetworks[$0.value] }
    }

    /// The mail host entry containing `address`, if any.
    public func mailHost(containing address: IPAddress) -> IPPrefix? {
        mailHostTable.longestMatch(address)?.prefix
    }

    /// The most specific exemption active at `now` that contains `address`.
    public func activeExemption(containing address: IPAddress, at now: Date) -> Exemption? {
        for (_, index) in exemptionTable.matches(address) where exemptions[index].isActive(at: now) {
            return exemptions[index]
        }
        return nil
    }

    /// Exemptions that apply at `now`, in the order given.
    public func activeExemptions(at now: Date) -> [Exemption] {
        exemptions.filter { $0.isActive(at: now) }
    }

    /// Decides whether a TCP connection from `source` to `destination`:`port`
    /// may pass, and why. Checked in this order, the first that applies wins:
    /// port not blocked, source on no access network, network without OP25B,
    /// destination is an ISP mail host, source exempt (active at `now`); else blocked.
    /// The nftables and iptables renderings implement the same order.
    public func decide(source: IPAddress, destination: IPAddress, port: Int, now: Date) -> OP25BDecision {
        let source = source.unmappingIPv4
        let destination = destination.unmappingIPv4
        func decision(_ reason: OP25BDecision.Reason) -> OP25BDecision {
            OP25BDecision(source: source, destination: destination, port: port, reason: reason)
        }
        guard blockedPorts.contains(port) else {
            return decision(.portNotBlocked(port))
        }
        guard let network = accessNetwork(containing: source) else {
            return decision(.sourceNotSubscriber)
        }
        guard network.op25b else {
            return decision(.networkNotBlocked(network.name))
        }
        if let host = mailHost(containing: destination) {
            return decision(.destinationIsMailHost(host))
        }
        if let exemption = activeExemption(containing: source, at: now) {
            return decision(.exempted(exemption))
        }
        return decision(.blocked(network.name))
    }

    // MARK: Exemptions

    /// Checks a new exemption against this policy, as `op25b exempt add` must
    /// before storing it: fields valid, inside an access network prefix, not
    /// already present.
    public func validate(exemption: Exemption) throws(PolicyError) {
        let entry = "exemption \(exemption.prefix)"
        try exemption.checkFields(entry: entry)
        try OP25BPolicy.checkInsideAccessNetworks(exemption.prefix, entry: entry, networkTable)
        if let existing = exemptionTable[exactly: exemption.prefix] {
            throw PolicyError(entry: entry, problem: .duplicatePrefix(
                exemption.prefix, otherEntry: "exemptions[\(existing)]"))
        }
    }

    /// Checks the prefix of a new exemption as `op25b exempt add PREFIX` gives
    /// it: it parses strictly, lies inside an access network prefix and is not
    /// already exempt. Returns the canonical text to store.
    public func validateExemptionPrefix(_ text: String) throws(PolicyError) -> String {
        let entry = "exemption \"\(IPParseError.clip(text))\""
        let prefix: IPPrefix
        do {
            prefix = try IPPrefix(text)
        } catch {
            throw PolicyError(entry: entry, problem: .invalidPrefix(text, error))
        }
        try OP25BPolicy.checkInsideAccessNetworks(prefix, entry: entry, networkTable)
        if let existing = exemptionTable[exactly: prefix] {
            throw PolicyError(entry: entry, problem: .duplicatePrefix(prefix, otherEntry: "exemptions[\(existing)]"))
        }
        return prefix.description
    }

    /// This policy with `candidates` as its exemptions, as the directory holds
    /// them now (the web checker reads them on every check, so an exemption
    /// applies there as soon as it is stored). A candidate that no longer fits
    /// the configuration (its reason or expiry invalid, outside every access
    /// network since a prefix was removed, listed twice) is left out and
    /// returned with its error, so one stale row does not hide the others.
    public func replacingExemptions(_ candidates: [Exemption]) -> (policy: OP25BPolicy, refused: [PolicyError]) {
        var accepted: [Exemption] = []
        var refused: [PolicyError] = []
        var seen = Set<IPPrefix>()
        for exemption in candidates {
            let entry = "exemption \(exemption.prefix)"
            do throws(PolicyError) {
                try exemption.checkFields(entry: entry)
                try OP25BPolicy.checkInsideAccessNetworks(exemption.prefix, entry: entry, networkTable)
                guard seen.insert(exemption.prefix).inserted else {
                    throw PolicyError(entry: entry, problem: .duplicatePrefix(exemption.prefix, otherEntry: entry))
                }
                accepted.append(exemption)
            } catch {
                refused.append(error)
            }
        }
        do {
            return (try OP25BPolicy(accessNetworks: accessNetworks, mailHostPrefixes: mailHosts,
                                    blockedPorts: blockedPorts, exemptions: accepted), refused)
        } catch {
            // Every rule the initialiser checks was checked above or held for this policy already.
            return (self, refused + [error])
        }
    }

    /// This policy with one more exemption, validated.
    public func adding(_ exemption: Exemption) throws(PolicyError) -> OP25BPolicy {
        try validate(exemption: exemption)
        return try OP25BPolicy(accessNetworks: accessNetworks, mailHostPrefixes: mailHosts,
                               blockedPorts: blockedPorts, exemptions: exemptions + [exemption])
    }

    // MARK: Helpers

    private static func checkInsideAccessNetworks(
        _ prefix: IPPrefix, entry: String, _ networks: PrefixTable<Int>
    ) throws(PolicyError) {
        // Inside one prefix (or equal to it): a wider exemption would name
        // addresses that are not the ISP's subscribers.
        if networks.matches(prefix, shorterThan: Int.max).isEmpty {
            throw PolicyError(entry: entry, problem: .outsideAccessNetworks(prefix))
        }
    }

    static func entryName(index: Int, name: String) -> String {
        "access_networks[\(index)] \"\(IPParseError.clip(name))\""
    }

    private static func entryName(networkAt index: Int, _ networks: [AccessNetwork]) -> String {
        entryName(index: index, name: networks[index].name)
    }
}
