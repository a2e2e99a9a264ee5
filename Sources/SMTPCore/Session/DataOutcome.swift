/// How the DATA phase ended, as reported by the driver after the `DataDecoder` saw the
/// end of data.
public enum DataOutcome: Sendable, Hashable {
    /// The message was received completely; `size` octets, unstuffed.
    case complete(size: Int)
    /// The message is refused, e.g. `DataError.reply` (bare LF, too big, long line) or a
    /// spool write error. The driver has already discarded what it stored.
    case rejected(Reply)
}
