/// Which header fields a signature covers: the `h=` tag (RFC 6376 §3.5, §5.4).
///
/// Every listed field present in the message is signed, each instance once
/// (RFC 6376 §5.4.2: instances are taken from the bottom up). Oversigned names
/// are listed once more than they occur: the extra entry matches no field and
/// hashes as nothing, so a field of that name added later, above or below,
/// breaks the signature (§5.4.2, §8.15). That is what stops a relay or a
/// mailing list from slipping a second From, To or Subject into a signed message.
public struct DKIMHeaderSelection: Hashable, Sendable {
    /// Field names to sign when present, lower case, in `h=` order.
    public var names: [String]
    /// Names listed once more than present (also when absent). Must be in `names`.
    public var oversigned: Set<String>

    /// Creates a selection; names are compared without case.
    public init(names: [String], oversigned: Set<String>) {
        self.names = names.map { $0.lowercased() }
        self.oversigned = Set(oversigned.map { $0.lowercased() })
    }

    /// RFC 6376 §5.4.1's recommended list (From, Reply-To, Subject, Date, To, Cc,
    /// Resent-Date, Resent-From, Resent-To, Resent-Cc, In-Reply-To, References,
    /// List-Id, List-Help, List-Unsubscribe, List-Subscribe, List-Post,
    /// List-Owner, List-Archive), plus the fields that define what the reader
    /// sees or that other standards ask to be signed: Sender, Message-ID, the
    /// MIME fields (RFC 2045), the remaining Resent-* fields (RFC 5322 §3.6.6) and
    /// List-Unsubscribe-Post (RFC 8058 §4 requires it to be signed).
    ///
    /// Not signed: trace fields (Received, Return-Path) and others that relays
    /// legitimately change (§5.4, "SHOULD NOT"), and DKIM-Signature itself, so a
    /// second signature never covers the first. From, To and Subject are oversigned.
    public static let recommended = DKIMHeaderSelection(
        names: [
            "from", "sender", "reply-to", "subject", "date", "message-id",
            "to", "cc",
            "mime-version", "content-type", "content-transfer-encoding",
            "content-id", "content-description",
            "resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-message-id",
            "in-reply-to", "references",
            "list-id", "list-help", "list-unsubscribe", "list-unsubscribe-post",
            "list-subscribe", "list-post", "list-owner", "list-archive",
        ],
        oversigned: ["from", "to", "subject"]
    )

    /// The `h=` list for a message: each name as many times as the message has
    /// such fields, plus one for oversigned names.
    public func signedHeaderNames(for fields: [DKIMHeaderField]) -> [String] {
        var counts: [String: Int] = [:]
        for field in fields {
            counts[field.lowercasedName, default: 0] += 1
        }
        var list: [String] = []
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            let count = (counts[name] ?? 0) + (oversigned.contains(name) ? 1 : 0)
            list.append(contentsOf: repeatElement(name, count: count))
        }
        return list
    }
}
