/// The name of a message file in a Maildir, taken apart:
///
/// ```
/// 1733440000.M123456P4242Q7.mail.alato.example,S=1200,W=1230:2,S
/// └──────────── unique name ───────────────┘ └─ sizes ─┘ └info┘
/// ```
/// The unique name identifies the message for as long as it exists, whatever the folder and
/// flags (Maildir spec; `:2,` then the flags in `cur/`). `S=` and `W=` are the Maildir++ size
/// fields: the file's size and its size with CRLF line endings. Other `,`-fields are kept.
public struct MaildirFileName: Sendable, Hashable, CustomStringConvertible {
    /// The part before any `,` or `:`.
    public var uniqueName: String
    /// `S=`: the file's size in octets.
    public var size: Int?
    /// `W=`: the size with every line ending CRLF (``WireSize``).
    public var wireSize: Int?
    /// Other `,key=value` fields, in order (another program's).
    public var otherFields: [String]
    /// What follows `:`, e.g. `2,S`; nil in `new/`.
    public var info: String?

    public init(uniqueName: String, size: Int? = nil, wireSize: Int? = nil, otherFields: [String] = [], info: String? = nil) {
        self.uniqueName = uniqueName
        self.size = size
        self.wireSize = wireSize
        self.otherFields = otherFields
        self.info = info
    }

    /// Takes a file name apart; every name parses (an unknown form is all unique name).
    public init(parsing name: String) {
        var base = Substring(name)
        if let colon = name.firstIndex(of: ":") {
            info = String(name[name.index(after: colon)...])
            base = name[..<colon]
        } else {
            info = nil
        }
        let fields = base.split(separator: ",", omittingEmptySubsequences: false)
        uniqueName = String(fields[0])
        size = nil
        wireSize = nil
        otherFields = []
        for field in fields.dropFirst() {
            if field.hasPrefix("S="), let value = Int(field.dropFirst(2)), value >= 0 {
                size = value
            } else if field.hasPrefix("W="), let value = Int(field.dropFirst(2)), value >= 0 {
                wireSize = value
            } else {
                otherFields.append(String(field))
            }
        }
    }

    /// The name in `cur/` with the standard info of a message seen by no one yet: `:2,` (no
    /// flags). A name that already has info keeps it.
    public var inCur: MaildirFileName {
        var name = self
        if name.info == nil { name.info = "2," }
        return name
    }

    public var description: String {
        var text = uniqueName
        if let size { text += ",S=\(size)" }
        if let wireSize { text += ",W=\(wireSize)" }
        for field in otherFields { text += ",\(field)" }
        if let info { text += ":\(info)" }
        return text
    }
}

/// Counts a stored message's size and its size as POP3 sends it: every LF not already after a
/// CR gains a CR, and an unterminated last line is ended (CRLF, or LF after a trailing CR).
/// POP3Core's `MessageEncoder` writes by the same rule.
public struct WireSize: Sendable, Hashable {
    /// The octets stored.
    public private(set) var octets = 0
    private var bareLineFeeds = 0
    private var last: UInt8?

    public init() {}

    /// Counts the next stored octets.
    public mutating func count(_ bytes: some Collection<UInt8>) {
        var previous = last
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { bareLineFeeds += 1 }
            previous = byte
        }
        if previous != nil { last = previous }
        octets += bytes.count
    }

    /// The size with CRLF line endings.
    public var wireOctets: Int {
        let ending: Int
        switch last {
        case nil, 0x0A: ending = 0
        case 0x0D: ending = 1
        default: ending = 2
        }
        return octets + bareLineFeeds + ending
    }
}
