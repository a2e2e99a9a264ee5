import Policy
@testable import ServerSupport
import Testing

/// The v2 signature and fixed part, then `block` (addresses, ports, TLVs).
private func v2(command: UInt8 = 0x21, family: UInt8 = 0x11, block: [UInt8], length: Int? = nil) -> [UInt8] {
    let count = length ?? block.count
    return ProxyHeaderParser.v2Signature + [command, family, UInt8(count >> 8), UInt8(count & 0xFF)] + block
}

private let ipv4Block: [UInt8] = [198, 51, 100, 7, 192, 0, 2, 25, 0xC3, 0x50, 0x00, 0x19]   // ports 50000, 25
private let ipv6Block: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x07]
    + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x19] + [0x04, 0xD2, 0x02, 0x4B]   // ports 1234, 587

private func address(_ text: String) -> IPAddress { try! IPAddress(text) }

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("PROXY protocol header parser")
struct ProxyHeaderParserTests {
    // MARK: Version 1

    @Test("v1 TCP4: addresses, ports and the length of the line")
    func v1TCP4() {
        let line = "PROXY TCP4 198.51.100.7 192.0.2.25 50000 25\r\n"
        let expected = ProxyHeader(
            version: .v1, command: .proxy,
            endpoints: .init(source: address("198.51.100.7"), destination: address("192.0.2.25"), sourcePort: 50000, destinationPort: 25),
            length: line.utf8.count)
        #expect(ProxyHeaderParser.parse(bytes(line)) == .complete(expected))
        #expect(expected.clientAddress(peer: "10.0.0.1") == "198.51.100.7")
    }

    @Test("v1 TCP6, including the longest line the spec allows")
    func v1TCP6() {
        let line = "PROXY TCP6 2001:db8::7 2001:db8::19 1234 587\r\n"
        guard case .complete(let header) = ProxyHeaderParser.parse(bytes(line)) else { Issue.record(); return }
        #expect(header.endpoints?.source == address("2001:db8::7"))
        #expect(header.endpoints?.destinationPort == 587)
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let longest = "PROXY TCP6 \(full) \(full) 65535 65535\r\n"
        #expect(longest.utf8.count == 104)
        guard case .complete(let long) = ProxyHeaderParser.parse(bytes(longest)) else { Issue.record(); return }
        #expect(long.endpoints?.sourcePort == 65535)
    }

    @Test("v1 UNKNOWN, short and with (ignored) addresses: the connection's own peer stands")
    func v1Unknown() {
        let short = ProxyHeaderParser.parse(bytes("PROXY UNKNOWN\r\n"))
        #expect(short == .complete(ProxyHeader(version: .v1, command: .proxy, endpoints: nil, length: 15)))
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let longest = "PROXY UNKNOWN \(full) \(full) 65535 65535\r\n"
        #expect(longest.utf8.count == ProxyHeaderParser.maximumV1Length)
        guard case .complete(let header) = ProxyHeaderParser.parse(bytes(longest)) else { Issue.record(); return }
        #expect(header.endpoints == nil)
        #expect(header.clientAddress(peer: "10.0.0.1") == "10.0.0.1")
    }

    @Test("v1 refused", arguments: [
        ("PROXY TCP4 198.51.100.7 192.0.2.25 50000\r\n", ProxyHeaderError.malformedLine),
        ("PROXY TCP4  198.51.100.7 192.0.2.25 50000 25\r\n", .malformedLine),
        ("PROXY TCP5 198.51.100.7 192.0.2.25 50000 25\r\n", .malformedLine),
        ("PROXY tcp4 198.51.100.7 192.0.2.25 50000 25\r\n", .malformedLine),
        ("PROXY TCP4 2001:db8::7 192.0.2.25 50000 25\r\n", .badAddress),
        ("PROXY TCP6 198.51.100.7 2001:db8::19 50000 25\r\n", .badAddress),
        ("PROXY TCP4 198.51.100.07 192.0.2.25 50000 25\r\n", .badAddress),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 050000 25\r\n", .badPort),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 65536 25\r\n", .badPort),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 -1 25\r\n", .badPort),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 50000 25 \r\n", .malformedLine),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 50000 25\n", .malformedLine),
        ("PROXY TCP4 198.51.100.7 192.0.2.25 50000 25\rX", .malformedLine),
        ("PROXYTCP4 198.51.100.7 192.0.2.25 50000 25\r\n", .badSignature),
        ("EHLO client.example.net\r\n", .badSignature),
        ("GET / HTTP/1.1\r\n", .badSignature),
    ])
    func v1Refused(line: String, error: ProxyHeaderError) {
        #expect(ProxyHeaderParser.parse(bytes(line)) == .invalid(error))
    }

    @Test("v1 without CRLF in the first 107 octets is refused; shorter, it waits")
    func v1TooLong() {
        let long = "PROXY UNKNOWN " + String(repeating: "x", count: 100)
        #expect(ProxyHeaderParser.parse(bytes(long)) == .invalid(.lineTooLong))
        #expect(ProxyHeaderParser.parse(bytes(String(long.prefix(106)))) == .needMoreData)
        // CR as the 107th octet: its LF would be the 108th.
        #expect(ProxyHeaderParser.parse(bytes(String(long.prefix(106)) + "\r\n")) == .invalid(.lineTooLong))
    }

    @Test("v1 fed one octet at a time: needs more data until the LF, then complete")
    func v1Incremental() {
        let line = bytes("PROXY TCP4 198.51.100.7 192.0.2.25 50000 25\r\n")
        for count in 0..<line.count {
            #expect(ProxyHeaderParser.parse(line.prefix(count)) == .needMoreData, "after \(count) octets")
        }
        guard case .complete = ProxyHeaderParser.parse(line) else { Issue.record(); return }
    }

    @Test("Bytes after the header are the protocol's: the length stops at the CRLF")
    func bytesAfterHeader() {
        let header = "PROXY TCP4 198.51.100.7 192.0.2.25 50000 25\r\n"
        let input = bytes(header + "EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n")
        guard case .complete(let parsed) = ProxyHeaderParser.parse(input) else { Issue.record(); return }
        #expect(Array(input.dropFirst(parsed.length)) == bytes("EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n"))

        let tlsHello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xC4, 0x01]
        let binary = v2(block: ipv4Block) + tlsHello
        guard case .complete(let v2Header) = ProxyHeaderParser.parse(binary) else { Issue.record(); return }
        #expect(v2Header.length == 28)
        #expect(Array(binary.dropFirst(v2Header.length)) == tlsHello)
    }

    // MARK: Version 2

    @Test("v2 PROXY over TCP/IPv4")
    func v2IPv4() {
        let expected = ProxyHeader(
            version: .v2, command: .proxy,
            endpoints: .init(source: address("198.51.100.7"), destination: address("192.0.2.25"), sourcePort: 50000, destinationPort: 25),
            length: 28)
        #expect(ProxyHeaderParser.parse(v2(block: ipv4Block)) == .complete(expected))
    }

    @Test("v2 PROXY over TCP/IPv6")
    func v2IPv6() {
        let expected = ProxyHeader(
            version: .v2, command: .proxy,
            endpoints: .init(source: address("2001:db8::7"), destination: address("2001:db8::19"), sourcePort: 1234, destinationPort: 587),
            length: 52)
        #expect(ProxyHeaderParser.parse(v2(family: 0x21, block: ipv6Block)) == .complete(expected))
    }

    @Test("v2 LOCAL (health check): the block is skipped whatever its family, no endpoints")
    func v2Local() {
        #expect(ProxyHeaderParser.parse(v2(command: 0x20, family: 0x00, block: []))
                == .complete(ProxyHeader(version: .v2, command: .local, endpoints: nil, length: 16)))
        #expect(ProxyHeaderParser.parse(v2(command: 0x20, family: 0x11, block: ipv4Block))
                == .complete(ProxyHeader(version: .v2, command: .local, endpoints: nil, length: 28)))
    }

    @Test("v2 TLVs after the addresses are skipped (ALPN, authority, NOOP, SSL with sub-TLVs)")
    func v2TLVs() {
        let authority = bytes("mail.alato.example")
        let tlvs: [UInt8] = [0x01, 0x00, 0x04] + bytes("smtp")
            + [0x02, 0x00, UInt8(authority.count)] + authority
            + [0x04, 0x00, 0x00]
            + [0x20, 0x00, 0x0B, 0x01, 0, 0, 0, 0, 0x21, 0x00, 0x03] + bytes("1.3")
        guard case .complete(let header) = ProxyHeaderParser.parse(v2(block: ipv4Block + tlvs)) else { Issue.record(); return }
        #expect(header.endpoints?.source == address("198.51.100.7"))
        #expect(header.length == 16 + 12 + tlvs.count)
    }

    @Test("v2 with a TLV running past the header is refused")
    func v2BadTLV() {
        let block = ipv4Block + [0x05, 0x00, 0x20, 0x41]
        #expect(ProxyHeaderParser.parse(v2(block: block)) == .invalid(.malformedTLV))
        #expect(ProxyHeaderParser.parse(v2(block: ipv4Block + [0x05, 0x00])) == .invalid(.malformedTLV))
    }

    @Test("v2 UNSPEC, UNIX and UDP: accepted, the connection's own peer stands")
    func v2OtherFamilies() {
        guard case .complete(let unspec) = ProxyHeaderParser.parse(v2(family: 0x00, block: [])) else { Issue.record(); return }
        #expect(unspec.endpoints == nil)
        let unix = [UInt8](repeating: 0x2F, count: 216)
        guard case .complete(let socket) = ProxyHeaderParser.parse(v2(family: 0x31, block: unix)) else { Issue.record(); return }
        #expect(socket.endpoints == nil)
        guard case .complete(let udp) = ProxyHeaderParser.parse(v2(family: 0x12, block: ipv4Block)) else { Issue.record(); return }
        #expect(udp.endpoints == nil)
    }

    @Test("v2 refused", arguments: [
        (v2(command: 0x11, block: ipv4Block), ProxyHeaderError.unsupportedVersion(1)),
        (v2(command: 0x22, block: ipv4Block), .unknownCommand(2)),
        (v2(family: 0x41, block: ipv4Block), .badFamily(0x41)),
        (v2(family: 0x13, block: ipv4Block), .badFamily(0x13)),
        (v2(family: 0x21, block: ipv4Block), .addressBlockTooShort),
        (v2(block: Array(ipv4Block.prefix(8))), .addressBlockTooShort),
        (v2(block: [], length: 4096), .tooLong(4112)),
        (v2(block: [], length: 0xFFFF), .tooLong(0xFFFF + 16)),
        (Array(ProxyHeaderParser.v2Signature.prefix(11)) + [0x0B], .badSignature),
        ([0x0D, 0x0A, 0x0D, 0x0A, 0x01], .badSignature),
    ])
    func v2Refused(input: [UInt8], error: ProxyHeaderError) {
        #expect(ProxyHeaderParser.parse(input) == .invalid(error))
    }

    @Test("v2 truncated: needs more data at every length short of the header")
    func v2Truncated() {
        let header = v2(family: 0x21, block: ipv6Block + [0x04, 0x00, 0x02, 0xAA, 0xBB])
        for count in 0..<header.count {
            #expect(ProxyHeaderParser.parse(header.prefix(count)) == .needMoreData, "after \(count) octets")
        }
        guard case .complete(let parsed) = ProxyHeaderParser.parse(header) else { Issue.record(); return }
        #expect(parsed.length == header.count)
    }

    @Test("A huge input is looked at only as far as a header can reach")
    func hugeInput() {
        let garbage = [UInt8](repeating: 0x41, count: 1 << 20)
        #expect(ProxyHeaderParser.parse(garbage) == .invalid(.badSignature))
        let noCRLF = bytes("PROXY ") + [UInt8](repeating: 0x41, count: 1 << 20)
        #expect(ProxyHeaderParser.parse(noCRLF) == .invalid(.lineTooLong))
        let bigV2 = v2(block: ipv4Block + [0x04, 0x0F, 0x00] + [UInt8](repeating: 0, count: 0x0F00)) + garbage
        guard case .complete(let header) = ProxyHeaderParser.parse(bigV2) else { Issue.record(); return }
        #expect(header.length == 16 + 12 + 3 + 0x0F00)
    }
}
