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

    /// The reply to send after the final dot.
    public var reply: Reply {
        switch self {
        case .bareLF, .bareCR: return .bareLineFeed
        case .lineTooLong: return .messageLineTooLong
        case .tooBig: return .messageTooBig
        }
    }
}
