import Foundation

/// Counters of the loaded OP25B ruleset, read from `nft -j list table inet portcullis_op25b`.
///
/// `portcullis op25b stats` shows the total of blocked attempts and the
/// subscriber addresses with the most of them: a machine that keeps trying
/// port 25 is usually infected, the ISP's cue to contact the customer.
public struct OP25BStats: Hashable, Sendable {
    /// One subscriber address in the dynamic offender sets.
    public struct Offender: Hashable, Sendable {
        /// The subscriber address.
        public let address: IPAddress
        /// Blocked packets from it since it entered the set (the set forgets it an hour after its last attempt).
        public let packets: Int
        /// Bytes of those packets.
        public let bytes: Int

        public init(address: IPAddress, packets: Int, bytes: Int) {
            self.address = address
            self.packets = packets
            self.bytes = bytes
        }
    }

    /// Why the listing could not be read.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// Not JSON, or not nft's `{"nftables": [...]}` shape.
        case notNFTablesJSON
        /// The listing has no reject rule with the Portcullis comment: the table is not ours, or not loaded.
        case noRejectRule
        /// Something in the listing has an unexpected shape.
        case malformed(String)
        /// The listing has none of ``NFTablesRenderer/attemptSets``: rendered by an older version, or not ours.
        case noAttemptSets

        public var description: String {
            switch self {
            case .notNFTablesJSON:
                return "not the JSON output of `nft -j list table`"
            case .noRejectRule:
                return "no rule with comment \"\(NFTablesRenderer.rejectRuleComment)\" in table inet \(NFTablesRenderer.tableName); is the Portcullis ruleset loaded?"
            case .malformed(let what):
                return "unexpected nft JSON: \(what)"
            case .noAttemptSets:
                return "no set \(NFTablesRenderer.attemptSets.joined(separator: " or ")) of table inet \(NFTablesRenderer.tableName); apply a ruleset rendered by this version"
            }
        }
    }

    /// Packets rejected by the OP25B rule (IPv4 and IPv6 together).
    public let blockedPackets: Int
    /// Bytes of those packets.
    public let blockedBytes: Int
    /// Offending addresses, most packets first; equal counts in address order.
    public let offenders: [Offender]

    /// Creates stats; offenders are sorted, most packets first.
    public init(blockedPackets: Int, blockedBytes: Int, offenders: [Offender]) {
        self.blockedPackets = blockedPackets
        self.blockedBytes = blockedBytes
        self.offenders = offenders.sorted {
            ($0.packets, $1.address) > ($1.packets, $0.address)
        }
    }

    /// Parses the output of `nft -j list table inet portcullis_op25b` (nftables JSON schema 1).
    ///
    /// The total comes from the counter of the rule carrying
    /// ``NFTablesRenderer/rejectRuleComment``; offenders from the elements of
    /// ``NFTablesRenderer/offenderSets`` and their per-element counters.
    public static func parse(nftJSON data: Data) throws(ParseError) -> OP25BStats {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = root["nftables"] as? [Any]
        else { throw .notNFTablesJSON }

        var total: (packets: Int, bytes: Int)?
        var offenders: [Offender] = []
        for case let item as [String: Any] in items {
            if let rule = item["rule"] as? [String: Any], ours(rule),
               rule["comment"] as? String == NFTablesRenderer.rejectRuleComment {
                guard let expressions = rule["expr"] as? [Any],
                      let counter = expressions.lazy.compactMap({ ($0 as? [String: Any])?["counter"] as? [String: Any] }).first,
                      let packets = counter["packets"] as? Int, let bytes = counter["bytes"] as? Int
                else { throw .malformed("the reject rule has no counter") }
                total = (packets + (total?.packets ?? 0), bytes + (total?.bytes ?? 0))
            }
            if let set = item["set"] as? [String: Any], ours(set),
               let name = set["name"] as? String, NFTablesRenderer.offenderSets.contains(name) {
                for element in set["elem"] as? [Any] ?? [] {
                    offenders.append(try offender(element, in: name))
                }
            }
        }
        guard let total else { throw .noRejectRule }
        return OP25BStats(blockedPackets: total.packets, blockedBytes: total.bytes, offenders: offenders)
    }

    private static func ours(_ object: [String: Any]) -> Bool {
        object["table"] as? String == NFTablesRenderer.tableName && object["family"] as? String == "inet"
    }

    /// An element is `"addr"`, or `{"elem": {"val": "addr", "counter": {...}, ...}}` when it has state.
    private static func offender(_ element: Any, in set: String) throws(ParseError) -> Offender {
        var value: Any = element
        var counter: [String: Any] = [:]
        if let wrapper = (element as? [String: Any])?["elem"] as? [String: Any] {
            value = wrapper["val"] as Any
            counter = wrapper["counter"] as? [String: Any] ?? [:]
        }
        guard let text = value as? String, let address = IPAddress(parsing: text) else {
            throw .malformed("element of \(set) is not an address: \(String(describing: value).prefix(80))")
        }
        return Offender(address: address, packets: counter["packets"] as? Int ?? 0, bytes: counter["bytes"] as? Int ?? 0)
    }
}
