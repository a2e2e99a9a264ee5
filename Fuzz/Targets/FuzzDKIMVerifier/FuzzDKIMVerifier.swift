import DKIM
import Foundation

/// A signed message and the key record its signature points to, both from the network.
/// The input is the key record's TXT text, a NUL, then the message: the verifier parses
/// the header block, the DKIM-Signature tag list (RFC 6376 §3.2, §3.5) and the key
/// record's tag list (§3.6.1), and must give a result for every signature, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let record = String(decoding: bytes[..<split], as: UTF8.self)
    let message = split < bytes.count ? Array(bytes[(split + 1)...]) : []
    let verifier = DKIMVerifier(keyLookup: { _ in record }, clock: { Date(timeIntervalSince1970: 1_800_000_000) })
    for result in verifier.verify(message: message) {
        _ = String(describing: result)
    }
    return 0
}
