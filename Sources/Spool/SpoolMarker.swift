/// A flag the spool keeps beside one message, as an empty file `queue/<id>.<marker>`.
///
/// Markers are spool state, not part of the envelope: the envelope is written once and the
/// per-recipient state is rewritten by delivery, while a marker is set by whoever decides it
/// (the operator, the abuse guard, the DSN writer) without touching either. Setting one is
/// durable on return; deleting the message removes its markers in the same step; recovery
/// removes markers whose message does not exist.
public enum SpoolMarker: String, CaseIterable, Sendable, Hashable {
    /// Queued but not delivered until released (compromised-account hold, `queue hold`).
    case hold
    /// The delay notice was queued (RFC 3461 §4.1, DELAY): it is sent once per message.
    case delayNoticeSent = "delay-notice"
    /// The final DSN was queued and the message is about to be removed: a removal that fails
    /// (or a crash before it) must not send the same DSN again.
    case finalNoticeSent = "final-notice"

    /// The file name suffix, `.hold` for example.
    var suffix: String { ".\(rawValue)" }

    /// The marker a file name in `queue/` ends with, and the queue ID it is for.
    static func parse(_ name: String) -> (QueueID, SpoolMarker)? {
        guard let dot = name.lastIndex(of: "."), let marker = SpoolMarker(rawValue: String(name[name.index(after: dot)...])),
              let id = QueueID(String(name[..<dot])) else { return nil }
        return (id, marker)
    }
}
