import SMTPCore

/// One SMTP command line as a client sends it (without CRLF): verbs, MAIL FROM / RCPT TO
/// paths with their ESMTP parameters (SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY, ORCPT,
/// AUTH), AUTH initial responses, BDAT sizes. Any input must give a command or a reply.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let line = UnsafeBufferPointer(start: start, count: count)
    switch CommandParser.parse(line) {
    case .success(let command):
        _ = String(describing: command)
    case .failure(let reply):
        // A refusal is always a 5xx reply with an enhanced status code (RFC 3463).
        precondition(reply.code >= 500 && reply.code < 600, "parser refused with \(reply.code)")
    }
    return 0
}
