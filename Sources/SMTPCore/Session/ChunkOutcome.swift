/// How a BDAT chunk ended, as reported by the driver after reading exactly the
/// announced number of octets (RFC 3030 §2).
public enum ChunkOutcome: Sendable, Hashable {
    /// The chunk was read and stored.
    case complete
    /// The chunk was read in full but holds an octet no message may contain
    /// (`DataError.isForbidden`). The transaction goes on to the LAST chunk, where the
    /// whole message is refused, so the session stays in step with the client.
    case forbiddenContent(DataError)
    /// The chunk was read but could not be stored (e.g. a spool error). The driver has
    /// discarded the partial message.
    case rejected(Reply)
}
