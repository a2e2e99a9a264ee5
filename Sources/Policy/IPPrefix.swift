/// An address prefix in CIDR notation: a network address and a length.
///
/// Always normalised: bits beyond `length` are zero (the parser refuses
/// input where they are not, see ``IPParseError/hostBitsSet(suggestion:)``).
/// A bare address parses as a host prefix (/32 or /128).
public struct IPPrefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The network address: the first address of the prefix.
    public let address: IPAddress
    /// The number of leading bits that are fixed.
    public let length: Int

    /// Creates the prefix of `length` bits that contains `address`, clearing
    /// the host bits. Returns nil if `length` is out of range for the family.
    /// Use this for values you computed; text from outside goes through ``init(_:)``.
    public init?(containing address: IPAddress, length: Int) {
        guard (0...address.family.bitWidth).contains(length) else { return nil }
        self.address = IPAddress(family: address.family, value: address.value & IPPrefix.mask(family: address.family, length: length))
        self.length = length
    }

    /// A prefix holding exactly one address.
    public init(host address: IPAddress) {
        self.address = address
        self.length = address.family.bitWidth
    }

    /// Parses `address/length` or a bare address.
    ///
    /// Refuses host bits beyond the length, lengths out of range, lengths with
    /// signs or leading zeros, and IPv4-mapped IPv6 prefixes; the error says
    /// what to write instead where that is clear.
    public init(_ text: some StringProtocol) throws(IPParseError) {
        let string = String(text)
        let parts = string.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = try IPAddress(parts[0])
        var length = address.family.bitWidth
        if parts.count == 2 {
            let lengthText = parts[1]
            guard !lengthText.isEmpty, lengthText.count <= 3,
                  lengthText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  lengthText == "0" || lengthText.first != "0",
                  let parsed = Int(lengthText)
            else {
                throw .invalidLength(String(lengthText))
            }
            guard parsed <= address.family.bitWidth else {
                throw .lengthOutOfRange(length: parsed, family: address.family)
            }
            length = parsed
        }
        if address.isIPv4Mapped {
            // The IPv4 equivalent exists when the length covers the whole ::ffff:0:0/96 part.
            let suggestion = length >= 96
                ? IPPrefix(containing: address.unmappingIPv4, length: length - 96)
                : nil
            throw .ipv4MappedPrefix(suggestion: suggestion)
        }
        guard let normalised = IPPrefix(containing: address, length: length) else {
            throw .lengthOutOfRange(length: length, family: address.family)
        }
        guard normalised.address == address else {
            throw .hostBitsSet(suggestion: normalised)
        }
        self = normalised
    }

    /// Parses a prefix, returning nil for anything that is not one.
    public init?(parsing text: some StringProtocol) {
        guard let prefix = try? IPPrefix(text) else { return nil }
        self = prefix
    }

    /// The address family of the prefix.
    public var family: IPAddress.Family { address.family }

    /// The last address inside the prefix.
    public var lastAddress: IPAddress {
        IPAddress(family: family, value: address.value | ~IPPrefix.mask(family: family, length: length))
    }

    /// True if `candidate` lies inside the prefix. An IPv4-mapped IPv6 address
    /// is judged as the IPv4 address it carries (a dual-stack socket reports
    /// IPv4 clients that way).
    public func contains(_ candidate: IPAddress) -> Bool {
        let candidate = candidate.unmappingIPv4
        guard candidate.family == family else { return false }
        return candidate.value & IPPrefix.mask(family: family, length: length) == address.value
    }

    /// True if every address of `other` lies inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.family == family && other.length >= length && contains(other.address)
    }

    /// True if the two prefixes share at least one address. Two prefixes
    /// either nest or are disjoint, so this is containment either way.
    public func overlaps(_ other: IPPrefix) -> Bool {
        contains(other) || other.contains(self)
    }

    /// IPv4 before IPv6, then by network address, then shorter (wider) first.
    public static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        (lhs.address, lhs.length) < (rhs.address, rhs.length)
    }

    /// `address/length`, with the address in canonical form.
    public var description: String { "\(address)/\(length)" }

    /// The network mask of `length` bits for `family`, right-aligned like ``IPAddress/value``.
    static func mask(family: IPAddress.Family, length: Int) -> UInt128 {
        let width = family.bitWidth
        guard length > 0 else { return 0 }
        let all: UInt128 = width == 128 ? ~0 : (UInt128(1) << UInt128(width)) - 1
        return all & ~((UInt128(1) << UInt128(width - length)) - 1) & all
    }
}
