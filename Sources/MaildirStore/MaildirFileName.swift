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

/// When a message was delivered, as its unique name says: the `seconds.M<microseconds>` it
/// starts with (the Maildir convention every deliverer follows). The one order of messages in
/// a Maildir: the POP3 numbering (``Maildrop``) and the operator's ``MaildirInventory`` both
/// sort by it, then by name.
public struct MaildirDeliveryTime: Sendable, Hashable, Comparable {
    public var seconds: Int
    /// 0 when the name has no `.M` part.
    public var microseconds: Int

    public init(seconds: Int, microseconds: Int = 0) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// The time a unique name starts with: 1 to 12 ASCII digits, then `.` or the end; nil for
    /// a name of another form.
    public init?(uniqueName: String) {
        let parts = uniqueName.utf8.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
        guard let head = parts.first, (1...12).contains(head.count), let seconds = Self.digits(head) else { return nil }
        self.seconds = seconds
        if parts.count > 1, parts[1].first == UInt8(ascii: "M") {
            let digits = parts[1].dropFirst().prefix { (0x30...0x39).contains($0) }.prefix(9)
            microseconds = Self.digits(digits) ?? 0
        } else {
            microseconds = 0
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.seconds, lhs.microseconds) < (rhs.seconds, rhs.microseconds)
    }

    private static func digits(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
