import Web

/// The body of an Outlook autodiscover POST, as any client on the internet can send it
/// (bounded to `AutodiscoverRequest.maximumBodySize` by the web server).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count <= AutodiscoverRequest.maximumBodySize else { return 0 }
    let body = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    _ = AutodiscoverRequest(body: body)
    return 0
}
