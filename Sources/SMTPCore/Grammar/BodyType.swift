/// The `BODY=` parameter of MAIL FROM.
public enum BodyType: String, Sendable, Hashable {
    /// `BODY=7BIT` (RFC 6152 §2).
    case sevenBit = "7BIT"
    /// `BODY=8BITMIME` (RFC 6152 §2).
    case eightBitMIME = "8BITMIME"
    /// `BODY=BINARYMIME` (RFC 3030 §3): only with BDAT.
    case binaryMIME = "BINARYMIME"

    /// The parameter value as written, e.g. `8BITMIME`.
    public var keyword: String { rawValue }
}
