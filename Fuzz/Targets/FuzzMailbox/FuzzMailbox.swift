import SMTPCore

/// A mailbox as text (RFC 5321 §4.1.2 with RFC 6531 UTF-8): the form used by the CLI,
/// the directory and the web checker. A parsed mailbox must print back to text that
/// parses to the same mailbox.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    if let mailbox = Mailbox(parsing: text) {
        let again = Mailbox(parsing: mailbox.string)
        precondition(again == mailbox, "\(text.debugDescription) printed as \(mailbox.string.debugDescription) does not parse back")
    }
    return 0
}
