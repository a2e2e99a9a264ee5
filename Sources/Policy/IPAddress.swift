/// An IPv4 or IPv6 address as a plain value.
///
/// The address is kept as a 128-bit integer plus its family, so prefix
/// arithmetic is the same code for both families. Text is parsed strictly
/// (see ``init(_:)``) because addresses reach us from configuration files,
/// from the command line and from peers on the network.
///
/// ```swift
/// let a = try IPAddress("2001:DB8:0:0:1:0:0:1")
/// a.description            // "2001:db8::1:0:0:1" (RFC 5952)
/// let m = try IPAddress("::ffff:203.0.113.9")
/// m.unmappingIPv4          // 203.0.113.9: what a dual-stack socket reports for an IPv4 peer
/// ```
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address family.
    public enum Family: Int, Hashable, Sendable, Comparable, CustomStringConvertible {
        case v4 = 4
        case v6 = 6

        /// Number of bits in an address of this family: 32 or 128.
        public var bitWidth: Int { self == .v4 ? 32 : 128 }

        public static func < (lhs: Family, rhs: Family) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { self == .v4 ? "IPv4" : "IPv6" }
    }

    /// The address family.
    public let family: Family
    /// The address bits, right-aligned: an IPv4 address occupies the low 32 bits.
    public let value: UInt128

    /// Creates an IPv4 address from its 32 bits in host order.
    public init(ipv4 bits: UInt32) {
        self.family = .v4
        self.value = UInt128(bits)
    }

    /// Creates an IPv6 address from its 128 bits.
    public init(ipv6 bits: UInt128) {
        self.family = .v6
        self.value = bits
    }

    /// Creates an address of `family` from right-aligned bits; bits above the
    /// family's width are discarded.
    public init(family: Family, value: UInt128) {
        self.family = family
        self.value = family == .v4 ? value & UInt128(UInt32.max) : value
    }

    /// Parses an address in text form.
    ///
    /// IPv4 must be dotted-quad with four decimal parts and no leading zeros
    /// (`010.0.0.1` is rejected: `inet_aton` would read it as octal, RFC 6943 §3.1.1).
    /// IPv6 follows RFC 4291 §2.2, including `::` and a trailing dotted-quad;
    /// zone identifiers (`%eth0`) and brackets are rejected.
    public init(_ text: some StringProtocol) throws(IPParseError) {
        let string = String(text)
        // Bound the work done on hostile input; the longest valid form
        // (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`) has 45 characters.
        guard !string.isEmpty, string.utf8.count <= 45 else {
            throw .invalidAddress(string)
        }
        if string.utf8.contains(UInt8(ascii: ":")) {
            guard let bits = IPAddress.parseIPv6(Array(string.utf8)) else {
                throw .invalidAddress(string)
            }
            self.init(ipv6: bits)
        } else {
            guard let bits = IPAddress.parseIPv4(Array(string.utf8)[...]) else {
                throw .invalidAddress(string)
            }
            self.init(ipv4: bits)
        }
    }

    /// Parses an address, returning nil for anything that is not one.
    public init?(parsing text: some StringProtocol) {
        guard let address = try? IPAddress(text) else { return nil }
        self = address
    }

    // MARK: IPv4-mapped IPv6 (RFC 4291 §2.5.5.2)

    /// True for `::ffff:a.b.c.d`, the form in which a dual-stack socket reports an IPv4 peer.
    public var isIPv4Mapped: Bool {
        family == .v6 && (value >> 32) == 0xffff
    }

    /// The IPv4 address for an IPv4-mapped IPv6 address; the address itself otherwise.
    ///
    /// Every membership test in this module goes through this, so a client seen
    /// as `::ffff:203.0.113.9` is judged exactly like `203.0.113.9`.
    public var unmappingIPv4: IPAddress {
        isIPv4Mapped ? IPAddress(ipv4: UInt32(truncatingIfNeeded: value)) : self
    }

    // MARK: Ordering and text

    /// IPv4 sorts before IPv6; within a family, numerically.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.family, lhs.value) < (rhs.family, rhs.value)
    }

    /// Canonical text: dotted-quad for IPv4, RFC 5952 for IPv6.
    public var description: String {
        switch family {
        case .v4:
            return IPAddress.formatIPv4(UInt32(truncatingIfNeeded: value))
        case .v6:
            return IPAddress.formatIPv6(value)
        }
    }
}

// MARK: - Parsing

extension IPAddress {
    /// `dec-octet "." dec-octet "." dec-octet "." dec-octet` (RFC 3986 §3.2.2), no leading zeros.
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || current > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | current
                parts += 1
                current = 0
                digits = 0
                leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | current
    }

    /// RFC 4291 §2.2: eight groups of one to four hex digits, at most one `::`
    /// standing for one or more zero groups, optionally ending in a dotted-quad.
    static func parseIPv6(_ bytes: [UInt8]) -> UInt128? {
        let colon = UInt8(ascii: ":")
        // Split around the single allowed "::".
        var head: ArraySlice<UInt8> = bytes[...]
        var tail: ArraySlice<UInt8>? = nil
        if let at = bytes.indices.dropLast().first(where: { bytes[$0] == colon && bytes[$0 + 1] == colon }) {
            head = bytes[..<at]
            let rest = bytes[(at + 2)...]
            // ":::" and a second "::" are not valid forms.
            if rest.first == colon { return nil }
            if rest.indices.dropLast().contains(where: { rest[$0] == colon && rest[$0 + 1] == colon }) { return nil }
            tail = rest
        }
        guard let headGroups = parseGroups(head, allowIPv4Tail: tail == nil) else { return nil }
        if let tail {
            guard let tailGroups = parseGroups(tail, allowIPv4Tail: true) else { return nil }
            // "::" stands for at least one group.
            guard headGroups.count + tailGroups.count <= 7 else { return nil }
            let zeros = 8 - headGroups.count - tailGroups.count
            return combine(headGroups + Array(repeating: 0, count: zeros) + tailGroups)
        }
        guard headGroups.count == 8 else { return nil }
        return combine(headGroups)
    }

    /// Parses colon-separated hex groups; an empty slice is zero groups.
    private static func parseGroups(_ bytes: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if bytes.isEmpty { return [] }
        var groups: [UInt16] = []
        let pieces = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        for (position, piece) in pieces.enumerated() {
            if position == pieces.count - 1, allowIPv4Tail, piece.contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(piece) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                continue
            }
            guard (1...4).contains(piece.count) else { return nil }
            var group: UInt16 = 0
            for byte in piece {
                guard let nibble = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(nibble)
            }
            groups.append(group)
        }
        return groups.count <= 8 ? groups : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func combine(_ groups: [UInt16]) -> UInt128 {
        groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }
}

// MARK: - Formatting

extension IPAddress {
    static func formatIPv4(_ bits: UInt32) -> String {
        "\(bits >> 24).\(bits >> 16 & 0xff).\(bits >> 8 & 0xff).\(bits & 0xff)"
    }

    /// RFC 5952 §4: lowercase hex without leading zeros (§4.1, §4.3); the
    /// longest run of two or more zero groups becomes `::`, the first run on
    /// a tie (§4.2.1–§4.2.3). IPv4-mapped addresses use mixed notation (§5).
    static func formatIPv6(_ bits: UInt128) -> String {
        if bits >> 32 == 0xffff {
            return "::ffff:" + formatIPv4(UInt32(truncatingIfNeeded: bits))
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: bits >> UInt128(112 - 16 * $0)) }
        // Find the longest run of zero groups, first one wins a tie.
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for (i, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = i }
                let length = i - runStart + 1
                if length > bestLength {
                    bestLength = length
                    bestStart = runStart
                }
            } else {
                runStart = -1
            }
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        // §4.2.2: a single zero group is not compressed.
        guard bestLength >= 2 else { return hex(groups[...]) }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }
}
