/// Size limits from RFC 5321 §4.5.3.1 and the extensions the server implements.
///
/// The framer and parsers use these so that every bound has one source and one citation.
public enum SMTPLimits {
    /// Maximum local-part length in octets (RFC 5321 §4.5.3.1.1).
    public static let localPart = 64
    /// Maximum domain length in octets (RFC 5321 §4.5.3.1.2).
    public static let domain = 255
    /// Maximum reverse-path or forward-path length in octets, including the angle
    /// brackets (RFC 5321 §4.5.3.1.3).
    public static let path = 256
    /// Maximum command line length including CRLF (RFC 5321 §4.5.3.1.4).
    public static let commandLine = 512
    /// The longest command line the server accepts, including CRLF: an `AUTH` command with
    /// an initial response, or a SASL response line, may be up to 12288 octets
    /// (RFC 4954 §4). ESMTP parameters also extend the 512 of RFC 5321 §4.5.3.1.4
    /// (e.g. RFC 3461 §5 for DSN). The framer should allow this much before replying
    /// `Reply.lineTooLong`.
    public static let extendedCommandLine = 12288
    /// Maximum text line length in DATA, excluding CRLF: 1000 including CRLF
    /// (RFC 5321 §4.5.3.1.6), not counting a stuffed leading dot.
    public static let textLine = 998
    /// The minimum number of recipients a server must accept per transaction
    /// (RFC 5321 §4.5.3.1.8).
    public static let minimumRecipients = 100
    /// Maximum decoded ENVID length (RFC 3461 §4.4).
    public static let envelopeID = 100
    /// Maximum ORCPT parameter value length (RFC 3461 §4.2).
    public static let originalRecipient = 500
    /// Maximum number of digits in a SIZE value (RFC 1870 §4: `size-value ::= 1*20DIGIT`).
    public static let sizeDigits = 20
    /// Maximum length of one SASL PLAIN field (RFC 4616 §2: each is 1*SAFE up to 255 octets).
    public static let saslPlainField = 255
}
