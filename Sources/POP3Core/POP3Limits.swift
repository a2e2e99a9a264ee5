/// The sizes POP3 fixes.
public enum POP3Limits {
    /// RFC 2449 §4: a command line is at most 255 octets, CRLF included.
    public static let commandLine = 255
    /// A SASL response line (RFC 5034 §4) is not a command: its limit is the longest PLAIN
    /// message (three fields of 255 octets, RFC 4616 §2) in base64, with room to spare.
    public static let saslResponseLine = 2048
    /// RFC 2449 §4: a response line is at most 512 octets, CRLF included.
    public static let responseLine = 512
    /// RFC 1939 §7: a unique-id is 1 to 70 characters in the range 0x21 to 0x7E.
    public static let uniqueIDLength = 70
    /// Message numbers and line counts longer than this are refused rather than overflowing.
    static let maxNumberDigits = 9
}
