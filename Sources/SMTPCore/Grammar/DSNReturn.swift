/// The `RET=` parameter of MAIL FROM: how much of the message a DSN returns (RFC 3461 §4.3).
public enum DSNReturn: String, Sendable, Hashable {
    /// `RET=FULL`: the whole message.
    case full = "FULL"
    /// `RET=HDRS`: only the headers.
    case headers = "HDRS"

    /// The parameter value as written, `FULL` or `HDRS`.
    public var keyword: String { rawValue }
}
