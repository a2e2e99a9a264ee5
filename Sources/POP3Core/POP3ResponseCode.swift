/// An extended response code in brackets after `-ERR` (RFC 2449 §8, RFC 3206), telling the
/// client why a command failed in a form it can act on.
public struct POP3ResponseCode: Sendable, Hashable, CustomStringConvertible {
    /// The code as it appears between the brackets.
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// `[AUTH]`: the credentials were wrong (RFC 3206 §5); asking the user again may help.
    public static let auth = POP3ResponseCode("AUTH")
    /// `[SYS/TEMP]`: a problem on the server's side that should go away (RFC 3206 §4):
    /// a blocked address, a locked account, a directory outage.
    public static let systemTemporary = POP3ResponseCode("SYS/TEMP")
    /// `[IN-USE]`: another session holds the maildrop (RFC 2449 §8.1.2).
    public static let inUse = POP3ResponseCode("IN-USE")

    public var description: String { "[\(rawValue)]" }
}
