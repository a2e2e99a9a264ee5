/// Why a message received with DATA is refused. Found by `DataDecoder`, reported once
/// at the end of data so the session stays in sync with the client.
public enum DataError: Error, Sendable, Hashable, ReplyConvertible {
    /// A LF not preceded by CR (RFC 5321 §2.3.8). Refused as the SMTP-smuggling defence.
    case bareLF
    /// A CR not followed by LF (RFC 5321 §2.3.8).
    case bareCR
    /// A line over 998 octets plus CRLF (RFC 5321 §4.5.3.1.6).
    case lineTooLong
    /// More octets than the configured maximum (RFC 1870 §6.3).
    case tooBig
    /// A NUL octet: RFC 5322 §2.3 and §3.5 (characters 1-127), RFC 6152 §2 and RFC 2045 §2.8
    /// (8bit data has no NUL either). Found by `isForbidden(_:)`, the one rule for DATA and BDAT.
    case nul

    /// True for an octet no message may contain, whatever carries it (DATA or BDAT): NUL.
    /// BINARYMIME (RFC 3030 §3), the only body type that would allow it, is not offered.
    @inline(__always)
    public static func isForbidden(_ byte: UInt8) -> Bool {
        byte == 0
    }

    /// The error for `bytes` if they hold a forbidden octet: the BDAT check, where content
    /// arrives raw and is judged a chunk at a time.
    public static func forbiddenContent(in bytes: some Collection<UInt8>) -> DataError? {
        bytes.contains(where: isForbidden) ? .nul : nil
    }

    /// The reply to send after the final dot.
    public var reply: Reply {
        switch self {
        case .bareLF, .bareCR: return .bareLineFeed
        case .lineTooLong: return .messageLineTooLong
        case .tooBig: return .messageTooBig
        case .nul: return .nulInMessage
        }
    }
}
