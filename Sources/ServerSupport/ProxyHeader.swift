import Policy

/// A PROXY protocol header (HAProxy's "The PROXY protocol", versions 1 and 2), as a load
/// balancer in TCP mode puts it in front of the connection it relays.
public struct ProxyHeader: Sendable, Equatable {
    public enum Version: Sendable, Equatable {
        /// The text line `PROXY TCP4|TCP6|UNKNOWN …\r\n` (spec §2.1).
        case v1
        /// The binary block after the 12-octet signature (spec §2.2).
        case v2
    }

    public enum Command: Sendable, Equatable {
        /// Relayed on behalf of a client: the addresses, when present, are the client's.
        case proxy
        /// v2 LOCAL: the proxy's own connection (a health check); the socket's peer stands.
        case local
    }

    /// The relayed connection's endpoints.
    public struct Endpoints: Sendable, Equatable {
        public var source: IPAddress
        public var destination: IPAddress
        public var sourcePort: UInt16
        public var destinationPort: UInt16

        public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16) {
            self.source = source
            self.destination = destination
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
        }
    }

    public var version: Version
    public var command: Command
    /// Nil for LOCAL, v1 UNKNOWN and v2 families other than TCP over IPv4/IPv6 (UNSPEC, UNIX,
    /// UDP): the spec has the receiver use the real connection's endpoints then.
    public var endpoints: Endpoints?
    /// Octets the header occupies at the start of the stream; what follows is the protocol's.
    public var length: Int

    public init(version: Version, command: Command, endpoints: Endpoints?, length: Int) {
        self.version = version
        self.command = command
        self.endpoints = endpoints
        self.length = length
    }

    /// The client of the session: the header's source, or `peer` when the header names none.
    public func clientAddress(peer: String) -> String {
        endpoints.map { $0.source.unmappingIPv4.description } ?? peer
    }
}

/// Why a PROXY header is refused; the connection is closed (spec §2.1: "any sequence which
/// does not exactly match the protocol must be discarded and cause the receiver to abort").
public enum ProxyHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither `PROXY ` nor the v2 signature.
    case badSignature
    /// v1: no CRLF within the first 107 octets.
    case lineTooLong
    /// v1: not `PROXY SP proto SP src SP dst SP sport SP dport CRLF`, or a lone CR or LF.
    case malformedLine
    /// An address that does not parse, or is not of the announced family.
    case badAddress
    /// A port that is not a decimal in 0…65535 without leading zeros.
    case badPort
    /// v2: the version nibble is not 2.
    case unsupportedVersion(UInt8)
    /// v2: a command other than LOCAL (0) or PROXY (1).
    case unknownCommand(UInt8)
    /// v2: an address family or transport protocol the spec does not define.
    case badFamily(UInt8)
    /// v2: the length is shorter than the announced family's addresses.
    case addressBlockTooShort
    /// v2: the announced length is beyond ``ProxyHeaderParser/maximumV2Length``.
    case tooLong(Int)
    /// v2: a TLV runs past the end of the header.
    case malformedTLV

    public var description: String {
        switch self {
        case .badSignature: return "no PROXY header signature"
        case .lineTooLong: return "v1 header without CRLF in the first 107 octets"
        case .malformedLine: return "malformed v1 header line"
        case .badAddress: return "bad address in the header"
        case .badPort: return "bad port in the header"
        case .unsupportedVersion(let version): return "unsupported v2 version \(version)"
        case .unknownCommand(let command): return "unknown v2 command \(command)"
        case .badFamily(let family): return "unknown v2 address family/protocol 0x\(String(family, radix: 16))"
        case .addressBlockTooShort: return "v2 address block shorter than its family needs"
        case .tooLong(let length): return "v2 header of \(length) octets is over the limit"
        case .malformedTLV: return "v2 TLV runs past the header"
        }
    }
}
