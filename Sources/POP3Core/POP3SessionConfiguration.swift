/// The fixed settings of a POP3 session.
public struct POP3SessionConfiguration: Sendable, Hashable {
    /// The name in the greeting.
    public var hostname: String
    /// Whether the listener can offer STLS (it has a certificate).
    public var tlsAvailable: Bool
    /// Refused commands before the session is closed (`[limits] max_errors`).
    public var maxErrors: Int

    public init(hostname: String, tlsAvailable: Bool, maxErrors: Int) {
        self.hostname = hostname
        self.tlsAvailable = tlsAvailable
        self.maxErrors = maxErrors
    }
}
