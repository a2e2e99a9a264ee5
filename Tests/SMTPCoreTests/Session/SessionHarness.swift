@testable import SMTPCore

/// Drives a `SessionStateMachine` with text lines, as the NIO driver would.
struct SessionHarness {
    static let hostname = "mail.alato.example"
    static let tlsInfo = TLSInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")

    var machine: SessionStateMachine

    init(service: ServiceKind = .relay, tlsActive: Bool = false, tlsAvailable: Bool = true,
         maxMessageSize: Int = 1000, maxRecipients: Int = 3, maxErrors: Int = 10, greetPause: Duration = .zero, refusesProxyHeader: Bool = false,
         start: Bool = true) {
        let configuration = SessionConfiguration(
            hostname: Self.hostname, service: service, maxMessageSize: maxMessageSize,
            maxRecipients: maxRecipients, maxErrors: maxErrors, tlsAvailable: tlsAvailable,
            greetPause: greetPause, refusesProxyHeader: refusesProxyHeader)
        machine = SessionStateMachine(configuration: configuration, tlsActive: tlsActive,
                                      tls: tlsActive ? Self.tlsInfo : nil)
        if start { _ = machine.start() }
    }

    /// Feeds one line.
    @discardableResult
    mutating func line(_ text: String, moreInputBuffered: Bool = false) -> [SessionAction] {
        machine.receivedLine(Array(text.utf8), moreInputBuffered: moreInputBuffered)
    }

    /// EHLO and (for submission) AUTH PLAIN as user@alato.example.
    mutating func greetAndAuthenticate() {
        line("EHLO client.example.net")
        if machine.configuration.service.isSubmission {
            line("AUTH PLAIN " + Base64.encode(SASLPlain.encode(authcid: "user@alato.example", password: Secret("pw"))))
            _ = machine.credentialsVerified(.success(account: "user@alato.example"))
        }
    }

    /// MAIL accepted by the policy.
    @discardableResult
    mutating func acceptedMail(_ text: String = "MAIL FROM:<user@alato.example>") -> [SessionAction] {
        let actions = line(text)
        guard case .checkSender? = actions.first else { return actions }
        return machine.senderChecked(.success(()))
    }

    /// RCPT accepted by the policy.
    @discardableResult
    mutating func acceptedRcpt(_ text: String = "RCPT TO:<friend@example.net>") -> [SessionAction] {
        let actions = line(text)
        guard case .checkRecipient? = actions.first else { return actions }
        return machine.recipientChecked(.success(()))
    }
}

/// The replies among the actions.
func replies(_ actions: [SessionAction]) -> [Reply] {
    actions.compactMap { if case .send(let reply) = $0 { return reply } else { return nil } }
}

/// The reply codes among the actions.
func codes(_ actions: [SessionAction]) -> [Int] { replies(actions).map(\.code) }

/// The envelope of a `.receiveData` action.
func receivedEnvelope(_ actions: [SessionAction]) -> Envelope? {
    for action in actions {
        if case .receiveData(let envelope) = action { return envelope }
        if case .receiveChunk(_, _, let envelope) = action { return envelope }
        if case .queueMessage(let envelope) = action { return envelope }
    }
    return nil
}
