/// What `DataDecoder.feed(_:)` found in the bytes it was given.
public enum DataEvent: Sendable, Hashable {
    /// Message bytes, dot-unstuffed, CRLF line endings kept. Not emitted once an error
    /// was found: the message will be refused anyway.
    case content([UInt8])
    /// `CRLF . CRLF` was seen and the message is acceptable. `leftover` holds the bytes
    /// after it in the same chunk: pipelined command input for the session.
    case end(leftover: [UInt8])
    /// `CRLF . CRLF` was seen but the message must be refused with `error.reply`.
    /// `leftover` as for `.end`.
    case rejected(DataError, leftover: [UInt8])
}
