import SMTPCore

/// A client's SASL response line (RFC 4954 §4) and the PLAIN message inside it
/// (RFC 4616 §2): base64 first, then the NUL-separated authzid, authcid and password.
/// The raw input is also tried as a PLAIN message directly, reaching its parser without
/// the base64 step.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    switch SASLResponse.parse(bytes) {
    case .success(.data(let decoded)):
        _ = SASLPlain.decode(decoded)
        // What decodes must encode back to the same bytes.
        precondition(Base64.decode(Base64.encode(decoded)) == decoded, "base64 round trip")
    case .success(.cancel):
        break
    case .failure(let reply):
        precondition(reply.isPermanentFailure, "refused with \(reply.code)")
    }
    _ = SASLResponse.parseInitialResponse(String(decoding: bytes, as: UTF8.self))
    _ = SASLPlain.decode(bytes)
    _ = XText.decode(bytes)
    return 0
}
