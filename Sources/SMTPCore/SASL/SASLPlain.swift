/// The PLAIN SASL mechanism's message (RFC 4616 §2).
///
/// ```
/// message   = [authzid] UTF8NUL authcid UTF8NUL passwd
/// authcid   = 1*SAFE ; MUST accept up to 255 octets
/// authzid   = 1*SAFE ; MUST accept up to 255 octets
/// passwd    = 1*SAFE ; MUST accept up to 255 octets
/// SAFE      = UTF1 / UTF2 / UTF3 / UTF4 ; any UTF-8 encoded Unicode character except NUL
/// ```
public enum SASLPlain {
    /// Splits a decoded PLAIN response. Returns nil when the message is malformed: not
    /// exactly two NULs, empty authcid or password, a field over 255 octets, or invalid
    /// UTF-8. The authzid is empty when absent.
    public static func decode(_ response: [UInt8]) -> (authzid: String, authcid: String, password: Secret)? {
        let fields = response.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return nil }
        let authzid = fields[0], authcid = fields[1], password = fields[2]
        guard !authcid.isEmpty, !password.isEmpty, !password.contains(0) else { return nil }
        for field in [authzid, authcid, password] {
            guard field.count <= SMTPLimits.saslPlainField, ASCII.isValidUTF8(field) else { return nil }
        }
        return (String(decoding: authzid, as: UTF8.self),
                String(decoding: authcid, as: UTF8.self),
                Secret(Array(password)))
    }

    /// Builds a PLAIN message, for clients and tests.
    public static func encode(authzid: String = "", authcid: String, password: Secret) -> [UInt8] {
        Array(authzid.utf8) + [0] + Array(authcid.utf8) + [0] + password.bytes
    }
}
