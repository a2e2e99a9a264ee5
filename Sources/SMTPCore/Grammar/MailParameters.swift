/// The ESMTP parameters of MAIL FROM (RFC 5321 §4.1.2 `Mail-parameters`).
///
/// Only parameters of advertised extensions are accepted; anything else is
/// `Reply.parametersNotRecognized` (555 5.5.4, RFC 5321 §4.1.1.11).
public struct MailParameters: Sendable, Hashable {
    /// `SIZE=` the declared message size in octets (RFC 1870 §4). A value too large for
    /// `Int` is kept as `Int.max`, which is over any limit.
    public var size: Int?
    /// `BODY=` (RFC 6152, RFC 3030).
    public var body: BodyType?
    /// `SMTPUTF8` was given (RFC 6531 §3.4).
    public var smtpUTF8: Bool
    /// `RET=` (RFC 3461 §4.3).
    public var ret: DSNReturn?
    /// `ENVID=`, xtext-decoded (RFC 3461 §4.4).
    public var envelopeID: String?
    /// `AUTH=` as sent, still xtext-encoded, or `<>` (RFC 4954 §5).
    public var auth: String?

    /// Creates parameters; all default to absent.
    public init(size: Int? = nil, body: BodyType? = nil, smtpUTF8: Bool = false,
                ret: DSNReturn? = nil, envelopeID: String? = nil, auth: String? = nil) {
        self.size = size
        self.body = body
        self.smtpUTF8 = smtpUTF8
        self.ret = ret
        self.envelopeID = envelopeID
        self.auth = auth
    }

    /// True when no parameter was given.
    public var isEmpty: Bool { self == MailParameters() }
}
