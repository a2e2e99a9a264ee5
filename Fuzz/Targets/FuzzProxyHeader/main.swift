import ServerSupport

/// The octets at the start of a connection from a trusted proxy (HAProxy's PROXY protocol,
/// v1 text or v2 binary). A complete header stays the same whatever follows it, never claims
/// more octets than it was given or than the limits allow, and a longer input never turns a
/// refused one into an accepted one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    switch ProxyHeaderParser.parse(bytes) {
    case .complete(let header):
        precondition(header.length <= bytes.count, "header longer than its input")
        precondition(header.length <= (header.version == .v1 ? ProxyHeaderParser.maximumV1Length
                                                              : ProxyHeaderParser.maximumV2Length), "over the limit")
        precondition(ProxyHeaderParser.parse(bytes.prefix(header.length)) == .complete(header),
                     "the octets after the header changed it")
    case .needMoreData:
        precondition(bytes.count < ProxyHeaderParser.maximumV2Length, "waits beyond the limit")
    case .invalid(let error):
        precondition(ProxyHeaderParser.parse(bytes + [0x0D, 0x0A]) == .invalid(error) || bytes.count < 16,
                     "more input changed a refusal")
    }
    return 0
}
