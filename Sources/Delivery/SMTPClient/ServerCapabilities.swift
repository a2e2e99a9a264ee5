import SMTPCore

/// What a server offered in its EHLO reply (RFC 5321 §4.1.1.1), as far as delivery cares.
///
/// ```
/// S: 250-mx.example.net
/// S: 250-PIPELINING
/// S: 250-SIZE 10240000
/// S: 250-STARTTLS
/// S: 250 8BITMIME
/// ```
public struct ServerCapabilities: Sendable, Hashable {
    /// True after a HELO fallback: no extension may be used.
    public var isExtended: Bool
    /// RFC 2920 command pipelining.
    public var pipelining: Bool
    /// RFC 1870 SIZE; the limit in octets, 0 meaning "no fixed limit", nil when not offered.
    public var size: Int?
    /// RFC 3207 STARTTLS.
    public var startTLS: Bool
    /// RFC 6152 8BITMIME.
    public var eightBitMIME: Bool
    /// RFC 6531 SMTPUTF8.
    public var smtpUTF8: Bool
    /// RFC 3461 DSN.
    public var dsn: Bool
    /// RFC 2034 ENHANCEDSTATUSCODES.
    public var enhancedStatusCodes: Bool

    /// Nothing offered (the HELO case).
    public static let none = ServerCapabilities(isExtended: false)

    /// Creates capabilities; everything off unless given.
    public init(isExtended: Bool = true, pipelining: Bool = false, size: Int? = nil, startTLS: Bool = false,
                eightBitMIME: Bool = false, smtpUTF8: Bool = false, dsn: Bool = false, enhancedStatusCodes: Bool = false) {
        self.isExtended = isExtended
        self.pipelining = pipelining
        self.size = size
        self.startTLS = startTLS
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
        self.dsn = dsn
        self.enhancedStatusCodes = enhancedStatusCodes
    }

    /// Reads the keywords of a 250 EHLO reply; the first line is the server's greeting name.
    public init(ehloReply: Reply) {
        self.init()
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let keyword = words.first?.uppercased() else { continue }
            switch keyword {
            case "PIPELINING": pipelining = true
            case "STARTTLS": startTLS = true
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "DSN": dsn = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            case "SIZE":
                // RFC 1870 §4: an absent or zero value means no fixed maximum.
                size = words.count > 1 ? (Int(words[1]) ?? 0) : 0
            default: break
            }
        }
    }
}
