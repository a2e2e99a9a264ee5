import Policy

/// Parses the PROXY protocol header at the start of a connection (HAProxy's "The PROXY
/// protocol", versions 1 and 2). No I/O: it is given the octets received so far and says
/// whether they hold a complete header, need more, or cannot be one.
///
/// The version is told by the signature (spec §2.2): the 12-octet v2 signature
/// `\r\n\r\n\0\r\nQUIT\n`, or `PROXY` for v1. Input that cannot become either is refused at the
/// first octet that does not match, so a client that is not a proxy is dropped at once.
///
/// Limits: a v1 line is at most 107 octets with its CRLF (spec §2.1); a v2 header is at most
/// ``maximumV2Length`` octets (HAProxy's own TLVs, unique ID and SSL details, fit easily).
public enum ProxyHeaderParser {
    public enum Result: Sendable, Equatable {
        case complete(ProxyHeader)
        case needMoreData
        case invalid(ProxyHeaderError)
    }

    /// Spec §2.1: "PROXY UNKNOWN" with two IPv6 addresses and ports, CRLF included.
    public static let maximumV1Length = 107
    /// The fixed part of a v2 header: signature, version and command, family, length.
    static let v2FixedLength = 16
    /// The largest v2 header accepted, fixed part included.
    public static let maximumV2Length = 4096

    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Parses the header at the start of `input` (everything received so far).
    public static func parse(_ input: some Collection<UInt8>) -> Result {
        // Never look further than the longest header could reach.
        let bytes = Array(input.prefix(maximumV2Length))
        guard let first = bytes.first else { return .needMoreData }
        if first == v1Prefix[0] {
            guard matchesPrefix(bytes, of: v1Prefix) else { return .invalid(.badSignature) }
            return parseV1(bytes)
        }
        if first == v2Signature[0] {
            guard matchesPrefix(bytes, of: v2Signature) else { return .invalid(.badSignature) }
            return parseV2(bytes)
        }
        return .invalid(.badSignature)
    }

    /// True when `bytes` and `signature` agree over their common length.
    private static func matchesPrefix(_ bytes: [UInt8], of signature: [UInt8]) -> Bool {
        zip(bytes, signature).allSatisfy { $0 == $1 }
    }

    // MARK: Version 1

    /// ```
    /// line  = "PROXY" SP ( "TCP4" / "TCP6" ) SP src SP dst SP sport SP dport CRLF
    ///       / "PROXY" SP "UNKNOWN" *( any octet but CR and LF ) CRLF
    /// port  = "0" / %x31-39 0*4DIGIT        ; 0…65535, no leading zeros
    /// ```
    static func parseV1(_ bytes: [UInt8]) -> Result {
        let window = bytes.prefix(maximumV1Length)
        // A lone CR or LF never ends the line (spec §2.1): the first of either must be CR LF.
        guard let end = window.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else {
            return bytes.count >= maximumV1Length ? .invalid(.lineTooLong) : .needMoreData
        }
        guard window[end] == 0x0D else { return .invalid(.malformedLine) }
        guard end + 1 < window.count else {
            return bytes.count >= maximumV1Length ? .invalid(.lineTooLong) : .needMoreData
        }
        guard window[end + 1] == 0x0A else { return .invalid(.malformedLine) }
        let length = end + 2
        let fields = bytes[v1Prefix.count..<end].split(separator: 0x20, omittingEmptySubsequences: false)
        guard let proto = fields.first else { return .invalid(.malformedLine) }
        let family: IPAddress.Family
        switch String(decoding: proto, as: UTF8.self) {
        case "UNKNOWN":
            // The receiver ignores the rest of the line and uses the real endpoints.
            return .complete(ProxyHeader(version: .v1, command: .proxy, endpoints: nil, length: length))
        case "TCP4": family = .v4
        case "TCP6": family = .v6
        default: return .invalid(.malformedLine)
        }
        guard fields.count == 5 else { return .invalid(.malformedLine) }
        guard let source = address(fields[1], family: family),
              let destination = address(fields[2], family: family) else { return .invalid(.badAddress) }
        guard let sourcePort = port(fields[3]), let destinationPort = port(fields[4]) else { return .invalid(.badPort) }
        let endpoints = ProxyHeader.Endpoints(source: source, destination: destination,
                                              sourcePort: sourcePort, destinationPort: destinationPort)
        return .complete(ProxyHeader(version: .v1, command: .proxy, endpoints: endpoints, length: length))
    }

    private static func address(_ field: ArraySlice<UInt8>, family: IPAddress.Family) -> IPAddress? {
        guard let address = IPAddress(parsing: String(decoding: field, as: UTF8.self)), address.family == family else {
            return nil
        }
        return address
    }

    private static func port(_ field: ArraySlice<UInt8>) -> UInt16? {
        guard (1...5).contains(field.count), field.allSatisfy({ (0x30...0x39).contains($0) }),
              field.count == 1 || field.first != 0x30 else { return nil }
        let value = field.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return value <= Int(UInt16.max) ? UInt16(value) : nil
    }

    // MARK: Version 2

    /// ```
    /// header = signature ver-cmd fam len address-block
    /// ver-cmd = %x20 (LOCAL) / %x21 (PROXY)      ; version 2 in the high nibble
    /// fam     = family (high nibble: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX)
    ///           protocol (low nibble: 0 UNSPEC, 1 STREAM, 2 DGRAM)
    /// len     = 2OCTET                           ; network order: octets after the fixed 16
    /// address-block = addresses [ports] *TLV     ; TLV = type:1 length:2 value:length
    /// ```
    static func parseV2(_ bytes: [UInt8]) -> Result {
        guard bytes.count >= v2FixedLength else { return .needMoreData }
        let versionAndCommand = bytes[12]
        guard versionAndCommand >> 4 == 2 else { return .invalid(.unsupportedVersion(versionAndCommand >> 4)) }
        let command: ProxyHeader.Command
        switch versionAndCommand & 0x0F {
        case 0: command = .local
        case 1: command = .proxy
        default: return .invalid(.unknownCommand(versionAndCommand & 0x0F))
        }
        let familyAndProtocol = bytes[13]
        let blockLength = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = v2FixedLength + blockLength
        guard length <= maximumV2Length else { return .invalid(.tooLong(length)) }
        guard bytes.count >= length else { return .needMoreData }
        let block = bytes[v2FixedLength..<length]

        // LOCAL: the block, family included, is skipped whatever it holds (spec §2.2).
        guard command == .proxy else {
            return .complete(ProxyHeader(version: .v2, command: .local, endpoints: nil, length: length))
        }
        let family = familyAndProtocol >> 4
        let transport = familyAndProtocol & 0x0F
        guard family <= 3, transport <= 2 else { return .invalid(.badFamily(familyAndProtocol)) }
        let addressLength: Int
        switch family {
        case 1: addressLength = 12      // 2 × 4 + 2 × 2
        case 2: addressLength = 36      // 2 × 16 + 2 × 2
        case 3: addressLength = 216     // 2 × 108
        default: addressLength = 0      // UNSPEC: nothing to read, the whole block is skipped
        }
        guard blockLength >= addressLength else { return .invalid(.addressBlockTooShort) }
        if family != 0 {
            guard tlvsAreWellFormed(block.dropFirst(addressLength)) else { return .invalid(.malformedTLV) }
        }
        // TCP over IPv4 or IPv6 names the client; UNSPEC, UNIX and UDP fall back to the real
        // endpoints, as the spec lets a receiver that does not implement them do.
        guard transport == 1, family == 1 || family == 2 else {
            return .complete(ProxyHeader(version: .v2, command: .proxy, endpoints: nil, length: length))
        }
        let start = block.startIndex
        let width = family == 1 ? 4 : 16
        let source = inetAddress(block[start..<start + width])
        let destination = inetAddress(block[start + width..<start + 2 * width])
        let ports = start + 2 * width
        let endpoints = ProxyHeader.Endpoints(
            source: source, destination: destination,
            sourcePort: UInt16(block[ports]) << 8 | UInt16(block[ports + 1]),
            destinationPort: UInt16(block[ports + 2]) << 8 | UInt16(block[ports + 3]))
        return .complete(ProxyHeader(version: .v2, command: .proxy, endpoints: endpoints, length: length))
    }

    /// 4 or 16 octets in network order.
    private static func inetAddress(_ octets: ArraySlice<UInt8>) -> IPAddress {
        let value = octets.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return octets.count == 4 ? IPAddress(ipv4: UInt32(value)) : IPAddress(ipv6: value)
    }

    /// The TLVs after the addresses are skipped, but each must end inside the header: a length
    /// that runs past it means the sender and we disagree on where the protocol starts.
    private static func tlvsAreWellFormed(_ tlvs: ArraySlice<UInt8>) -> Bool {
        var index = tlvs.startIndex
        while index < tlvs.endIndex {
            guard tlvs.endIndex - index >= 3 else { return false }
            let valueLength = Int(tlvs[index + 1]) << 8 | Int(tlvs[index + 2])
            index += 3 + valueLength
            guard index <= tlvs.endIndex else { return false }
        }
        return true
    }
}
