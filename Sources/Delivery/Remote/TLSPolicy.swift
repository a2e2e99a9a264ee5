import NIOSSL

/// How the client uses STARTTLS (RFC 3207) towards remote servers.
///
/// Opportunistic (RFC 7435): TLS whenever the server offers it, without certificate checks,
/// since MX hosts are not authenticated by DNS without DANE/MTA-STS. When the handshake
/// fails, the message is deferred unless ``fallbackToCleartext`` allows sending in clear text
/// on a new connection.
public struct TLSPolicy: Sendable {
    /// Use STARTTLS when offered.
    public var enabled: Bool
    /// After a failed handshake, retry the same address without TLS.
    public var fallbackToCleartext: Bool
    /// The client context; nil disables TLS.
    public let context: NIOSSLContext?

    /// Creates a policy with an opportunistic client context (no certificate verification).
    public init(enabled: Bool = true, fallbackToCleartext: Bool = false) {
        self.enabled = enabled
        self.fallbackToCleartext = fallbackToCleartext
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.minimumTLSVersion = .tlsv12
        self.context = enabled ? try? NIOSSLContext(configuration: configuration) : nil
    }
}
