/// One accepted recipient with its DSN parameters.
public struct EnvelopeRecipient: Sendable, Hashable {
    /// The forward path as given.
    public var path: ForwardPath
    /// `NOTIFY` and `ORCPT` (RFC 3461).
    public var parameters: RcptParameters

    /// Creates a recipient.
    public init(path: ForwardPath, parameters: RcptParameters = RcptParameters()) {
        self.path = path
        self.parameters = parameters
    }
}
