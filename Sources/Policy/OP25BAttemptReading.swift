import Foundation

/// One element of the rendered ruleset's per-source-and-destination sets: how many blocked
/// port-25 packets `source` sent to `destination` since the element appeared.
///
/// Read from `nft -j list set inet portcullis_op25b attempts4` (and `attempts6`), or from the
/// same JSON dropped in `[op25b] counters_file` by the operator's tooling on a router. The
/// counters are cumulative; ``OP25BAttemptTracker`` turns successive readings into attempts.
public struct OP25BAttemptReading: Hashable, Sendable {
    public let source: IPAddress
    public let destination: IPAddress
    /// Packets counted; the reject answers each SYN with a reset, so one packet is one attempt.
    public let packets: Int

    public init(source: IPAddress, destination: IPAddress, packets: Int) {
        self.source = source
        self.destination = destination
        self.packets = packets
    }

    /// Parses nftables JSON (schema 1) holding ``NFTablesRenderer/attemptSets`` of our table:
    /// one document, or several one after the other (two `nft -j list set` outputs). Elements
    /// are `{"elem": {"val": {"concat": [source, destination]}, "counter": {...}}}`.
    public static func parse(nftJSON data: Data) throws(OP25BStats.ParseError) -> [OP25BAttemptReading] {
        var readings: [OP25BAttemptReading] = []
        var sawSet = false
        for document in try documents(data) {
            for case let item as [String: Any] in document {
                guard let set = item["set"] as? [String: Any],
                      set["table"] as? String == NFTablesRenderer.tableName, set["family"] as? String == "inet",
                      let name = set["name"] as? String, NFTablesRenderer.attemptSets.contains(name)
                else { continue }
                sawSet = true
                for element in set["elem"] as? [Any] ?? [] {
                    readings.append(try reading(element, in: name))
                }
            }
        }
        guard sawSet else { throw .noAttemptSets }
        return readings
    }

    /// The `nftables` arrays of the documents in `data`, which may be concatenated.
    private static func documents(_ data: Data) throws(OP25BStats.ParseError) -> [[Any]] {
        // One document is the usual case; several are split where one object closes and the next opens.
        if let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            guard let items = root["nftables"] as? [Any] else { throw .notNFTablesJSON }
            return [items]
        }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "}\n{")
        guard parts.count > 1 else { throw .notNFTablesJSON }
        var documents: [[Any]] = []
        for (index, part) in parts.enumerated() {
            let whole = (index > 0 ? "{" : "") + part + (index < parts.count - 1 ? "}" : "")
            guard let root = try? JSONSerialization.jsonObject(with: Data(whole.utf8)) as? [String: Any],
                  let items = root["nftables"] as? [Any]
            else { throw .notNFTablesJSON }
            documents.append(items)
        }
        return documents
    }

    private static func reading(_ element: Any, in set: String) throws(OP25BStats.ParseError) -> OP25BAttemptReading {
        // An element without state is its bare value; the rendered sets always count, but a
        // hand-made listing may not: such an element counts nothing.
        var value: Any = element
        var counter: [String: Any] = [:]
        if let wrapper = (element as? [String: Any])?["elem"] as? [String: Any] {
            value = wrapper["val"] as Any
            counter = wrapper["counter"] as? [String: Any] ?? [:]
        }
        guard let pair = (value as? [String: Any])?["concat"] as? [Any], pair.count == 2,
              let sourceText = pair[0] as? String, let source = IPAddress(parsing: sourceText),
              let destinationText = pair[1] as? String, let destination = IPAddress(parsing: destinationText)
        else { throw .malformed("element of \(set) is not a source . destination pair: \(String(describing: value).prefix(80))") }
        let packets = counter["packets"] as? Int ?? 0
        guard packets >= 0 else { throw .malformed("element of \(set) has a negative counter") }
        return OP25BAttemptReading(source: source, destination: destination, packets: packets)
    }
}
