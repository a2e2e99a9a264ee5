/// Where the spool keeps what (see docs/spool.md).
///
/// ```
/// <spool>/lock                  flock(2)ed by the owning process (the server)
/// <spool>/tmp/<id>              message bytes while DATA/BDAT streams in (never fsync'd here)
/// <spool>/queue/<id>            committed message, exactly as received (with our Received header)
/// <spool>/queue/<id>.envelope   JSON SpoolEnvelope, written once; its presence makes the message visible
/// <spool>/queue/<id>.state      JSON [RecipientDeliveryStatus], rewritten atomically by delivery (optional)
/// <spool>/queue/<id>.<marker>   empty SpoolMarker file: hold, delay-notice, final-notice (optional)
/// <spool>/journal/<seq>.log     commit journal segments (group commit); removed after a checkpoint
/// <spool>/requests/<request>    operator requests from the command line (QueueRequest): flush,
///                               pause, retry.<id>, bounce.<id>, delete.<id>; each stays until done
/// ```
struct SpoolLayout: Sendable {
    let root: String

    var lockPath: String { "\(root)/lock" }
    var temporaryDirectory: String { "\(root)/tmp" }
    var queueDirectory: String { "\(root)/queue" }
    var journalDirectory: String { "\(root)/journal" }
    var requestsDirectory: String { "\(root)/requests" }

    static let envelopeSuffix = ".envelope"
    static let stateSuffix = ".state"
    static let segmentSuffix = ".log"

    func dataPath(_ id: QueueID) -> String { "\(queueDirectory)/\(id)" }
    func envelopePath(_ id: QueueID) -> String { "\(queueDirectory)/\(id)\(Self.envelopeSuffix)" }
    func statePath(_ id: QueueID) -> String { "\(queueDirectory)/\(id)\(Self.stateSuffix)" }
    func markerPath(_ id: QueueID, _ marker: SpoolMarker) -> String { "\(queueDirectory)/\(id)\(marker.suffix)" }
    func temporaryDataPath(_ id: QueueID) -> String { "\(temporaryDirectory)/\(id)" }
    func temporaryEnvelopePath(_ id: QueueID) -> String { "\(temporaryDirectory)/\(id)\(Self.envelopeSuffix)" }
    func temporaryPath(_ name: String) -> String { "\(temporaryDirectory)/\(name)" }
    func requestPath(_ name: String) -> String { "\(requestsDirectory)/\(name)" }

    func segmentPath(_ sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return "\(journalDirectory)/\(String(repeating: "0", count: max(0, 16 - hex.count)))\(hex)\(Self.segmentSuffix)"
    }

    /// The committed-message files of `id`, in the order a deletion removes them
    /// (envelope first, so the message stops being visible before its bytes go).
    func files(of id: QueueID) -> [String] {
        [envelopePath(id), dataPath(id)] + stateFiles(of: id)
    }

    /// The files of `id` that a message living only in the journal can have too: its delivery
    /// state and its markers.
    func stateFiles(of id: QueueID) -> [String] {
        [statePath(id)] + SpoolMarker.allCases.map { markerPath(id, $0) }
    }
}
