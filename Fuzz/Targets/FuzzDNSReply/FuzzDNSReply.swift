import DNS

/// A DNS reply as a nameserver (or an off-path spoofer) may send it: taken apart by
/// libresolv's `ns_initparse`/`ns_parserr` and decoded as MX, SRV and TXT records, the
/// record types whose data the resolver reads itself (TXT carries DKIM keys, RFC 6376
/// §3.6.2.2). Malformed replies must become errors, never a trap or an overread.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    // A private copy with no slack after it, so ASan sees a read past the reply's end.
    let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(count, 1))
    defer { copy.deallocate() }
    _ = copy.initialize(from: UnsafeBufferPointer(start: start, count: count))
    let message = UnsafeBufferPointer(start: copy.baseAddress, count: count)
    let name = "fuzz.example"
    if case .success(let records) = LibresolvQuery.parse(message: message, name: name, type: .mx, decode: MXRecord.init(answer:)) {
        _ = records.map(\.description)
    }
    if case .success(let records) = LibresolvQuery.parse(message: message, name: name, type: .srv, decode: SRVRecord.init(answer:)) {
        _ = records.map(\.description)
    }
    if case .success(let records) = LibresolvQuery.parse(message: message, name: name, type: .txt, decode: TXTRecord.init(answer:)) {
        _ = records.map(\.text)
    }
    return 0
}
