import Delivery
import SMTPCore

/// What a remote SMTP server sends to our delivery client: reply lines split at CRLF
/// (the line framing the client connection does) and fed to the reply parser, which
/// must yield replies or errors, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    var parser = ReplyParser()
    var lineStart = 0
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "\n") {
            var end = index
            if end > lineStart, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            do {
                if case .complete(let reply) = try parser.feed(bytes[lineStart..<end]) {
                    _ = reply.encoded()
                    parser = ReplyParser()
                }
            } catch {
                parser = ReplyParser()
            }
            lineStart = index + 1
        }
        index += 1
    }
    return 0
}
