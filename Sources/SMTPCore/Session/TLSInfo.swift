/// The negotiated TLS parameters, for the Received header and logs.
public struct TLSInfo: Sendable, Hashable {
    /// The protocol version, e.g. `TLSv1.3`.
    public var version: String
    /// The cipher suite, e.g. `TLS_AES_256_GCM_SHA384`.
    public var cipher: String

    /// Creates TLS information.
    public init(version: String, cipher: String) {
        self.version = version
        self.cipher = cipher
    }
}
