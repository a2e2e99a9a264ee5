/// Why a piece of text is not a usable address or prefix.
///
/// The description is one short English phrase meant to follow the name of
/// the offending entry, e.g. `prefix "203.0.113.5/24": host bits set, did you mean 203.0.113.0/24`.
public enum IPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not an IPv4 or IPv6 address at all.
    case invalidAddress(String)
    /// The part after `/` is not a decimal number.
    case invalidLength(String)
    /// The length is larger than the family allows (32 for IPv4, 128 for IPv6).
    case lengthOutOfRange(length: Int, family: IPAddress.Family)
    /// Bits beyond the prefix length are set; `suggestion` is the prefix with them cleared.
    ///
    /// Rejected rather than silently masked: `203.0.113.5/24` may be a typo for
    /// `203.0.113.5/32`, and masking would widen a block or an exemption to a whole /24.
    case hostBitsSet(suggestion: IPPrefix)
    /// An IPv4-mapped IPv6 prefix such as `::ffff:203.0.113.0/120`.
    ///
    /// Rejected, with the IPv4 equivalent as suggestion when there is one: such a
    /// prefix never appears on the wire, so as an nftables or ip6tables rule it
    /// would match nothing, while a reader would believe the IPv4 range is covered.
    case ipv4MappedPrefix(suggestion: IPPrefix?)

    /// One short English phrase, e.g. `host bits set, did you mean 203.0.113.0/24`.
    public var description: String {
        switch self {
        case .invalidAddress(let text):
            return "\"\(IPParseError.clip(text))\" is not an IPv4 or IPv6 address"
        case .invalidLength(let text):
            return "prefix length \"\(IPParseError.clip(text))\" is not a number"
        case .lengthOutOfRange(let length, let family):
            return "prefix length \(length) is too long for \(family) (at most \(family.bitWidth))"
        case .hostBitsSet(let suggestion):
            return "host bits set, did you mean \(suggestion)"
        case .ipv4MappedPrefix(let suggestion):
            if let suggestion {
                return "IPv4-mapped IPv6 prefixes are not accepted, write the IPv4 prefix \(suggestion) instead"
            }
            return "IPv4-mapped IPv6 prefixes are not accepted, write the IPv4 prefix instead"
        }
    }

    /// Keeps error messages one short line even for hostile input.
    static func clip(_ text: String) -> String {
        let printable = String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
        return printable.count > 64 ? String(printable.prefix(64)) + "…" : printable
    }
}
