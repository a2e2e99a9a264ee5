import SMTPCore

/// Who is acting, as the abuse rules see a session: its client, its service and the account
/// it authenticated as.
public struct AbuseContext: Sendable, Hashable {
    /// The client's IP address, as text.
    public var clientAddress: String
    /// The service the client connected to.
    public var service: ServiceKind
    /// The account the session authenticated as, if any.
    public var authenticatedAccount: String?

    /// Creates a context.
    public init(clientAddress: String, service: ServiceKind, authenticatedAccount: String? = nil) {
        self.clientAddress = clientAddress
        self.service = service
        self.authenticatedAccount = authenticatedAccount
    }

    /// True when the session is held to the submission rules: submission, or port 25 after AUTH.
    public var followsSubmissionRules: Bool {
        service.followsSubmissionRules(authenticated: authenticatedAccount != nil)
    }
}
