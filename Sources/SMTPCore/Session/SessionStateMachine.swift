/// The SMTP server session as an explicit state machine, without I/O.
///
/// One `mutating` function per event; each returns the `SessionAction`s the driver
/// performs in order. Decisions that
/// need I/O (credentials, sender and recipient policy, the spool) are requested as
/// actions and completed by events.
///
/// ```
/// S: 220 mail.alato.example ESMTP Portcullis           start()
/// C: EHLO client.example.net                           receivedLine(_:)
/// S: 250-mail.alato.example ...
/// C: MAIL FROM:<a@example.net>                         receivedLine -> .checkSender
///                                                      senderChecked(.success(()))
/// S: 250 2.1.0 Sender ok
/// C: RCPT TO:<b@alato.example>                         receivedLine -> .checkRecipient
/// S: 250 2.1.5 Recipient ok                            recipientChecked(.success(()))
/// C: DATA                                              receivedLine -> .send(354), .receiveData
/// C: ... CRLF.CRLF                                     dataFinished(.complete(size:))
///                                                      -> .queueMessage
/// S: 250 2.0.0 Ok: queued as 4F2A                      messageQueued(queueID:)
/// ```
///
/// Driver contract: while a decision is pending (`isAwaitingCompletion`), or while the
/// driver receives DATA, a BDAT chunk or the TLS handshake, only the matching completion
/// (or `timedOut()`) may be fed; the driver queues pipelined input until then. Breaking
/// this is a programming error and traps. Everything the client sends is answered with a
/// reply, never a trap.
///
/// Abuse rules of the unauthenticated (port-25) session, both from Postfix practice:
/// - With `greetPause` set, `start()` asks for a pause before the 220; a client that talks
///   during it is refused with 554 5.5.0 and disconnected (postscreen's pregreet test).
/// - Message content sent after the DATA line but before the 354 (the driver reports it as
///   `moreInputBuffered`) is refused with 554 5.5.0 and the connection is closed; nothing of
///   the transaction is queued (`smtpd_forbid_unauth_pipelining`). RFC 2920 §3.1 lets a
///   client pipeline MAIL, RCPT and DATA, but DATA ends the group: the content may only
///   follow the 354. BDAT is exempt: its chunk follows the command by design, framed by its
///   size, and RFC 3030 §4.2 allows pipelining it. Authenticated sessions are exempt too.
///
/// Error counting: every 5xx sent in answer to the client (syntax, sequence, policy
/// refusals, failed AUTH) counts, except the 501 for a cancelled AUTH. 4xx replies do not
/// count (452 too many recipients, temporary failures). When the count reaches
/// `maxErrors`, the refusal is followed by 421 4.7.0 and the connection closes.
public struct SessionStateMachine: Sendable {
    /// What a pending asynchronous decision is about.
    private enum Pending: Sendable {
        case credentials
        case sender(ReversePath, MailParameters)
        case recipient(ForwardPath, RcptParameters)
        case queue
    }

    /// Where the SASL exchange is, after a 334 was sent.
    private enum AuthExchange: Sendable {
        case plain
        case loginUsername
        case loginPassword(username: String)
    }

    private enum Phase: Sendable {
        case notStarted
        case greetPause
        case command
        case auth(AuthExchange)
        case waiting(Pending)
        case tlsHandshake
        case receivingData
        case receivingChunk(size: Int, last: Bool)
        case closed
    }

    /// The mail transaction in progress (RFC 5321 §3.3).
    private struct Transaction: Sendable {
        var sender: ReversePath
        var parameters: MailParameters
        var recipients: [EnvelopeRecipient] = []
        /// Octets received in completed BDAT chunks; nil until BDAT is used.
        var chunkedBytes: Int?
        /// A forbidden octet seen in an earlier BDAT chunk: LAST refuses the message.
        var chunkError: DataError?
    }

    /// The fixed settings.
    public let configuration: SessionConfiguration
    /// True once TLS protects the connection (implicit TLS or after STARTTLS).
    public private(set) var tlsActive: Bool
    /// The negotiated TLS parameters, when known.
    public private(set) var tls: TLSInfo?
    /// The current EHLO/HELO argument; nil before the greeting and after STARTTLS.
    public private(set) var heloName: String?
    /// True when the current greeting was EHLO.
    public private(set) var usedESMTP = false
    /// The authenticated account, if any.
    public private(set) var authenticatedAccount: String?
    /// Refused commands so far.
    public private(set) var errorCount = 0

    private var phase: Phase = .notStarted
    private var transaction: Transaction?

    /// A PROXY protocol v1 line starts with exactly these octets (HAProxy's spec §2.1).
    static let proxyHeaderPrefix: [UInt8] = Array("PROXY ".utf8)

    /// Creates a session.
    ///
    /// - Parameters:
    ///   - configuration: the listener's settings.
    ///   - tlsActive: true for implicit TLS (port 465), where TLS precedes the greeting.
    ///   - tls: the TLS parameters when already known (implicit TLS). Without them the
    ///     envelope carries no `tls` and the Received header cannot say `ESMTPS`, so an
    ///     implicit-TLS driver passes them here or calls `tlsEstablished` before `start()`.
    public init(configuration: SessionConfiguration, tlsActive: Bool, tls: TLSInfo? = nil) {
        self.configuration = configuration
        self.tlsActive = tlsActive
        self.tls = tls
    }

    // MARK: - State for the driver

    /// True when the next event must be the completion of a requested decision.
    public var isAwaitingCompletion: Bool {
        if case .waiting = phase { return true }
        return false
    }

    /// True when the driver should frame input into lines and call `receivedLine`.
    public var expectsLine: Bool {
        switch phase {
        case .command, .auth: return true
        default: return false
        }
    }

    /// True once `.close` was emitted.
    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// True while a SASL exchange waits for a response line: the framer should allow
    /// `SMTPLimits.extendedCommandLine` and the driver must not log the line.
    public var isInAuthExchange: Bool {
        if case .auth = phase { return true }
        return false
    }

    /// True while a mail transaction is open (after an accepted MAIL).
    public var hasTransaction: Bool { transaction != nil }

    /// The Received `with` keyword for the current session and transaction.
    public var protocolKeyword: ReceivedProtocol {
        ReceivedProtocol(esmtp: usedESMTP, tls: tlsActive, authenticated: authenticatedAccount != nil,
                         utf8: transaction?.parameters.smtpUTF8 ?? false)
    }

    /// The recipient when the transaction has exactly one, for the Received `for` clause
    /// (RFC 5321 §7.6: naming one of several recipients would leak Bcc).
    public var singleRecipient: ForwardPath? {
        guard let recipients = transaction?.recipients, recipients.count == 1 else { return nil }
        return recipients[0].path
    }

    /// The envelope of the current transaction, if any.
    public var envelope: Envelope? { currentEnvelope() }

    // MARK: - Events

    /// The connection is open: send the greeting (RFC 5321 §4.3.1), or first pause for
    /// `configuration.greetPause`.
    public mutating func start() -> [SessionAction] {
        guard case .notStarted = phase else { preconditionFailure("start() called twice") }
        if configuration.greetPause > .zero {
            phase = .greetPause
            return [.pauseGreeting(configuration.greetPause)]
        }
        phase = .command
        return [.send(.serviceReady(configuration.hostname))]
    }

    /// The greeting pause ended with the client silent: greet.
    public mutating func greetPauseElapsed() -> [SessionAction] {
        guard case .greetPause = phase else {
            if isClosed { return [] }
            preconditionFailure("greetPauseElapsed while \(phase)")
        }
        phase = .command
        return [.send(.serviceReady(configuration.hostname))]
    }

    /// The client sent something during the greeting pause: it did not wait for the 220
    /// (RFC 5321 §3.1, §4.3.1). Refuse and close; the driver discards what it sent.
    public mutating func clientTalkedFirst() -> [SessionAction] {
        guard case .greetPause = phase else {
            if isClosed { return [] }
            preconditionFailure("clientTalkedFirst while \(phase)")
        }
        return closeWith(.talkedBeforeGreeting)
    }

    /// One complete line from the client, without CRLF.
    ///
    /// - Parameter moreInputBuffered: the driver already holds input after this line, not yet
    ///   answered. Only DATA looks at it: on an unauthenticated session that is message content
    ///   sent before the 354, refused and disconnected (see the type's documentation).
    public mutating func receivedLine(_ line: [UInt8], moreInputBuffered: Bool = false) -> [SessionAction] {
        switch phase {
        case .closed:
            return []
        case .auth(let exchange):
            return handleSASLResponse(line, exchange: exchange)
        case .command:
            if configuration.refusesProxyHeader, line.starts(with: Self.proxyHeaderPrefix) {
                return closeWith(.proxyHeaderNotTrusted)
            }
            switch CommandParser.parse(line) {
            case .success(.data) where moreInputBuffered && authenticatedAccount == nil:
                // RFC 2920 §3.1: DATA ends a pipelined group; the content must wait for the 354.
                return closeWith(.pipeliningViolation)
            case .success(let command): return handle(command)
            case .failure(let reply): return refuse(reply)
            }
        default:
            preconditionFailure("receivedLine while \(phase): the driver must queue input")
        }
    }

    /// The client sent a line longer than the framer allows (RFC 5321 §4.5.3.1.4).
    public mutating func lineTooLong() -> [SessionAction] {
        refuseLineProblem(.lineTooLong)
    }

    /// The client ended a command line with a bare CR or LF (RFC 5321 §2.3.8).
    public mutating func bareLineEnding() -> [SessionAction] {
        refuseLineProblem(.bareLineEndingInCommand)
    }

    /// The TLS handshake completed: forget everything learned before it (RFC 3207 §4.2).
    /// The client must send EHLO again. For implicit TLS, may also be called before `start()`.
    public mutating func tlsEstablished(_ info: TLSInfo) -> [SessionAction] {
        switch phase {
        case .notStarted:
            tlsActive = true
            tls = info
            return []
        case .tlsHandshake:
            tlsActive = true
            tls = info
            heloName = nil
            usedESMTP = false
            authenticatedAccount = nil
            transaction = nil
            phase = .command
            return []
        case .closed:
            return []
        default:
            preconditionFailure("tlsEstablished while \(phase)")
        }
    }

    /// The directory's answer to `.verifyCredentials`.
    public mutating func credentialsVerified(_ outcome: AuthOutcome) -> [SessionAction] {
        guard case .waiting(.credentials) = phase else {
            if isClosed { return [] }
            preconditionFailure("credentialsVerified while \(phase)")
        }
        phase = .command
        switch outcome {
        case .success(let account):
            authenticatedAccount = account
            return [.send(.authSucceeded)]
        case .failure:
            return refuse(.authFailed)
        case .temporaryFailure:
            return refuse(.authTemporaryFailure)
        }
    }

    /// The policy's answer to `.checkSender`.
    public mutating func senderChecked(_ result: Result<Void, Reply>) -> [SessionAction] {
        guard case .waiting(.sender(let path, let parameters)) = phase else {
            if isClosed { return [] }
            preconditionFailure("senderChecked while \(phase)")
        }
        phase = .command
        switch result {
        case .success:
            transaction = Transaction(sender: path, parameters: parameters)
            return [.send(.senderOk)]
        case .failure(let reply):
            return refuse(reply)
        }
    }

    /// The policy's answer to `.checkRecipient`.
    public mutating func recipientChecked(_ result: Result<Void, Reply>) -> [SessionAction] {
        guard case .waiting(.recipient(let path, let parameters)) = phase else {
            if isClosed { return [] }
            preconditionFailure("recipientChecked while \(phase)")
        }
        phase = .command
        switch result {
        case .success:
            transaction?.recipients.append(EnvelopeRecipient(path: path, parameters: parameters))
            return [.send(.recipientOk)]
        case .failure(let reply):
            return refuse(reply)
        }
    }

    /// The DATA phase ended (the `DataDecoder` saw `CRLF.CRLF`).
    public mutating func dataFinished(_ outcome: DataOutcome) -> [SessionAction] {
        guard case .receivingData = phase else {
            if isClosed { return [] }
            preconditionFailure("dataFinished while \(phase)")
        }
        switch outcome {
        case .complete(let size):
            // The decoder enforces the limit; this double check keeps the promise of
            // the advertised SIZE even if a driver forgot to configure it.
            if size > configuration.maxMessageSize {
                phase = .command
                transaction = nil
                return [.abortMessage] + refuse(.messageTooBig)
            }
            guard let envelope = currentEnvelope() else { preconditionFailure("DATA without a transaction") }
            phase = .waiting(.queue)
            return [.queueMessage(envelope)]
        case .rejected(let reply):
            phase = .command
            transaction = nil
            return refuse(reply)
        }
    }

    /// A BDAT chunk was read (RFC 3030 §2).
    public mutating func chunkFinished(_ outcome: ChunkOutcome) -> [SessionAction] {
        guard case .receivingChunk(let size, let last) = phase else {
            if isClosed { return [] }
            preconditionFailure("chunkFinished while \(phase)")
        }
        switch outcome {
        case .complete, .forbiddenContent:
            let received = transaction?.chunkedBytes ?? 0
            transaction?.chunkedBytes = received + size
            if case .forbiddenContent(let error) = outcome, transaction?.chunkError == nil {
                transaction?.chunkError = error
            }
            if last, let error = transaction?.chunkError {
                // Refused at LAST like DATA at its end: the client learns it once, in step.
                phase = .command
                transaction = nil
                return [.abortMessage] + refuse(error.reply)
            }
            if last {
                guard let envelope = currentEnvelope() else { preconditionFailure("BDAT without a transaction") }
                phase = .waiting(.queue)
                return [.queueMessage(envelope)]
            }
            phase = .command
            return [.send(.chunkReceived(size))]
        case .rejected(let reply):
            phase = .command
            transaction = nil
            return [.abortMessage] + refuse(reply)
        }
    }

    /// The message is safely in the spool.
    public mutating func messageQueued(queueID: String) -> [SessionAction] {
        guard case .waiting(.queue) = phase else {
            if isClosed { return [] }
            preconditionFailure("messageQueued while \(phase)")
        }
        phase = .command
        transaction = nil
        return [.send(.queued(queueID))]
    }

    /// The spool could not take the message; `reply` is usually 451 4.3.0 or 452 4.3.1.
    public mutating func queueFailed(_ reply: Reply) -> [SessionAction] {
        guard case .waiting(.queue) = phase else {
            if isClosed { return [] }
            preconditionFailure("queueFailed while \(phase)")
        }
        phase = .command
        transaction = nil
        return [.send(reply)]
    }

    /// The client was idle too long (RFC 5321 §4.5.3.2): 421 4.4.2 and close. Allowed in
    /// every phase.
    public mutating func timedOut() -> [SessionAction] {
        if isClosed { return [] }
        return closeWith(.timeout)
    }

    // MARK: - Commands

    private mutating func handle(_ command: Command) -> [SessionAction] {
        switch command {
        case .ehlo(let name): return greet(name, extended: true)
        case .helo(let name): return greet(name, extended: false)
        case .mail(let path, let parameters): return mail(path, parameters)
        case .rcpt(let path, let parameters): return rcpt(path, parameters)
        case .data: return data()
        case .bdat(let size, let last): return bdat(size: size, last: last)
        case .rset:
            // RFC 5321 §4.1.1.5: clears the transaction, keeps the greeting and AUTH.
            return abandonTransaction() + [.send(.ok)]
        case .noop:
            return [.send(.ok)]
        case .quit:
            return closeWith(.closing)
        case .vrfy:
            // RFC 5321 §3.5.3: 252 is a valid answer that reveals nothing.
            return [.send(.vrfyCannot)]
        case .expn:
            // RFC 5321 §3.5.2: EXPN may be disabled; lists are not disclosed.
            return refuse(.notImplemented.with(text: "EXPN not supported"))
        case .help:
            return [.send(.help)]
        case .startTLS:
            return startTLS()
        case .auth(let mechanism, let initialResponse):
            return auth(mechanism: mechanism, initialResponse: initialResponse)
        }
    }

    /// EHLO/HELO: a new greeting resets the transaction like RSET (RFC 5321 §4.1.4).
    private mutating func greet(_ name: String, extended: Bool) -> [SessionAction] {
        var actions = abandonTransaction()
        heloName = name
        usedESMTP = extended
        guard extended else {
            actions.append(.send(.helo(configuration.hostname)))
            return actions
        }
        var keywords = [
            "PIPELINING",                               // RFC 2920
            "SIZE \(configuration.maxMessageSize)",    // RFC 1870
            "8BITMIME",                                 // RFC 6152
            "SMTPUTF8",                                 // RFC 6531
            "ENHANCEDSTATUSCODES",                      // RFC 2034
            "CHUNKING",                                 // RFC 3030
            "DSN",                                      // RFC 3461
        ]
        if configuration.tlsAvailable && !tlsActive {
            keywords.append("STARTTLS")                 // RFC 3207
        }
        if offersAuth {
            keywords.append((["AUTH"] + configuration.authMechanisms).joined(separator: " "))  // RFC 4954
        }
        actions.append(.send(.ehlo(configuration.hostname, keywords: keywords)))
        return actions
    }

    /// AUTH is offered once TLS is active (RFC 8314 §3, RFC 4954 §4), on submission and on
    /// port 25 alike: a subscriber whose client still sends on port 25 can authenticate there
    /// and is then held to the submission rules (``followsSubmissionRules``).
    private var offersAuth: Bool {
        tlsActive && !configuration.authMechanisms.isEmpty
    }

    /// True when the session is held to the submission rules (RFC 6409): on the submission
    /// services always, on port 25 once the client authenticated. An unauthenticated port-25
    /// session follows the relay rules instead (access networks, hosted domains).
    public var followsSubmissionRules: Bool {
        configuration.service.followsSubmissionRules(authenticated: authenticatedAccount != nil)
    }

    private mutating func mail(_ path: ReversePath, _ parameters: MailParameters) -> [SessionAction] {
        guard heloName != nil else { return refuse(.heloFirst) }
        guard transaction == nil else { return refuse(.nestedMail) }
        if configuration.service.isSubmission {
            guard tlsActive else { return refuse(.encryptionRequired) }
            guard authenticatedAccount != nil else { return refuse(.authRequired) }
        }
        // Parameters belong to extensions announced by EHLO only (RFC 5321 §4.1.1.11).
        if !usedESMTP && !parameters.isEmpty { return refuse(.parametersNotRecognized) }
        if parameters.body == .binaryMIME {
            // BINARYMIME (RFC 3030 §3) is not advertised.
            return refuse(.parametersNotRecognized.with(text: "BODY=BINARYMIME not supported"))
        }
        if path.needsSMTPUTF8 && !parameters.smtpUTF8 { return refuse(.smtputf8Required) }
        // RFC 1870 §6.1: refuse a declared size over the limit at MAIL.
        if let size = parameters.size, size > configuration.maxMessageSize { return refuse(.messageTooBig) }
        if followsSubmissionRules, path == .null { return refuse(.nullSenderNotAllowed) }
        phase = .waiting(.sender(path, parameters))
        return [.checkSender(path, parameters)]
    }

    private mutating func rcpt(_ path: ForwardPath, _ parameters: RcptParameters) -> [SessionAction] {
        guard heloName != nil else { return refuse(.heloFirst) }
        guard let transaction else { return refuse(.needMail) }
        if transaction.chunkedBytes != nil {
            return refuse(.badSequence.with(text: "RCPT not allowed after BDAT"))
        }
        if !usedESMTP && !parameters.isEmpty { return refuse(.parametersNotRecognized) }
        // RFC 5321 §4.5.3.1.10: 452 tells the client to retry the rest later; not an error.
        guard transaction.recipients.count < configuration.maxRecipients else {
            return [.send(.tooManyRecipients)]
        }
        if path.needsSMTPUTF8 && !transaction.parameters.smtpUTF8 { return refuse(.smtputf8Required) }
        phase = .waiting(.recipient(path, parameters))
        return [.checkRecipient(path, parameters)]
    }

    private mutating func data() -> [SessionAction] {
        guard heloName != nil else { return refuse(.heloFirst) }
        guard let transaction else { return refuse(.needMail) }
        // RFC 3030 §2: DATA and BDAT cannot be mixed in one transaction.
        if transaction.chunkedBytes != nil { return refuse(.dataBDATMixed) }
        // RFC 5321 §3.3: without an accepted recipient, DATA fails with 554 (503 also allowed).
        guard !transaction.recipients.isEmpty else { return refuse(.noValidRecipients) }
        guard let envelope = currentEnvelope() else { return refuse(.needMail) }
        phase = .receivingData
        return [.send(.startData), .receiveData(envelope)]
    }

    /// BDAT (RFC 3030 §2). The chunk follows the command on the wire, so every refusal
    /// still tells the driver to discard exactly `size` octets.
    private mutating func bdat(size: Int, last: Bool) -> [SessionAction] {
        guard heloName != nil else { return [.discardChunk(size: size)] + refuse(.heloFirst) }
        guard let transaction else { return [.discardChunk(size: size)] + refuse(.needMail) }
        guard !transaction.recipients.isEmpty else {
            return [.discardChunk(size: size)] + refuse(.noValidRecipients)
        }
        let received = transaction.chunkedBytes ?? 0
        if size > configuration.maxMessageSize - received {
            // RFC 3030 §2 with RFC 1870: the message would exceed the limit; the whole
            // transaction is abandoned.
            return [.discardChunk(size: size)] + abandonTransaction() + refuse(.messageTooBig)
        }
        self.transaction?.chunkedBytes = received
        guard let envelope = currentEnvelope() else { return refuse(.needMail) }
        phase = .receivingChunk(size: size, last: last)
        return [.receiveChunk(size: size, last: last, envelope: envelope)]
    }

    private mutating func startTLS() -> [SessionAction] {
        // RFC 3207 §4: only once per connection.
        if tlsActive { return refuse(.alreadyTLS) }
        if !configuration.tlsAvailable { return [.send(.tlsNotAvailable)] }
        guard heloName != nil else { return refuse(.heloFirst) }
        if transaction != nil { return refuse(.badSequence.with(text: "Mail transaction in progress")) }
        phase = .tlsHandshake
        return [.send(.readyToStartTLS), .startTLS]
    }

    private mutating func auth(mechanism: String, initialResponse: String?) -> [SessionAction] {
        guard heloName != nil, usedESMTP else { return refuse(.heloFirst.with(text: "Send EHLO first")) }
        // RFC 8314 §3 / RFC 4954 §4: no credentials over cleartext.
        guard tlsActive else { return refuse(.encryptionRequiredForAuth) }
        // RFC 4954 §4: no second AUTH after success, no AUTH inside a transaction.
        guard authenticatedAccount == nil else { return refuse(.alreadyAuthenticated) }
        guard transaction == nil else { return refuse(.authInTransaction) }
        guard configuration.authMechanisms.contains(mechanism) else { return refuse(.authMechanismUnknown) }

        switch mechanism {
        case "PLAIN":
            guard let initialResponse else {
                phase = .auth(.plain)
                return [.send(.authChallenge(""))]
            }
            switch SASLResponse.parseInitialResponse(initialResponse) {
            case .success(let bytes): return finishPlain(bytes)
            case .failure(let reply): return refuse(reply)
            }
        case "LOGIN":
            guard let initialResponse else {
                phase = .auth(.loginUsername)
                return [.send(.authUsernamePrompt)]
            }
            switch SASLResponse.parseInitialResponse(initialResponse) {
            case .success(let bytes): return continueLogin(username: bytes)
            case .failure(let reply): return refuse(reply)
            }
        default:
            // Configured but not implemented here.
            return refuse(.authMechanismUnknown)
        }
    }

    private mutating func handleSASLResponse(_ line: [UInt8], exchange: AuthExchange) -> [SessionAction] {
        phase = .command
        let bytes: [UInt8]
        switch SASLResponse.parse(line) {
        case .success(.cancel):
            // RFC 4954 §4: "*" cancels with 501. Not counted: the client chose to stop.
            return [.send(.authCancelled)]
        case .success(.data(let decoded)):
            bytes = decoded
        case .failure(let reply):
            return refuse(reply)
        }
        switch exchange {
        case .plain:
            return finishPlain(bytes)
        case .loginUsername:
            return continueLogin(username: bytes)
        case .loginPassword(let username):
            guard !bytes.isEmpty else { return refuse(.authInvalidResponse) }
            phase = .waiting(.credentials)
            return [.verifyCredentials(mechanism: "LOGIN", authzid: nil, username: username, password: Secret(bytes))]
        }
    }

    private mutating func finishPlain(_ bytes: [UInt8]) -> [SessionAction] {
        guard let credentials = SASLPlain.decode(bytes) else { return refuse(.authInvalidResponse) }
        phase = .waiting(.credentials)
        return [.verifyCredentials(mechanism: "PLAIN",
                                   authzid: credentials.authzid.isEmpty ? nil : credentials.authzid,
                                   username: credentials.authcid,
                                   password: credentials.password)]
    }

    private mutating func continueLogin(username bytes: [UInt8]) -> [SessionAction] {
        guard !bytes.isEmpty, bytes.count <= SMTPLimits.saslPlainField, ASCII.isValidUTF8(bytes),
              !bytes.contains(0) else { return refuse(.authInvalidResponse) }
        phase = .auth(.loginPassword(username: String(decoding: bytes, as: UTF8.self)))
        return [.send(.authPasswordPrompt)]
    }

    // MARK: - Helpers

    private mutating func refuseLineProblem(_ reply: Reply) -> [SessionAction] {
        switch phase {
        case .closed:
            return []
        case .command, .auth:
            // A broken line during a SASL exchange ends the exchange.
            phase = .command
            return refuse(reply)
        default:
            preconditionFailure("line event while \(phase): the driver must queue input")
        }
    }

    /// Sends a refusal and applies the error budget.
    private mutating func refuse(_ reply: Reply) -> [SessionAction] {
        guard reply.isPermanentFailure else { return [.send(reply)] }
        errorCount += 1
        if errorCount >= configuration.maxErrors {
            return [.send(reply)] + closeWith(.tooManyErrors)
        }
        return [.send(reply)]
    }

    private mutating func closeWith(_ reply: Reply) -> [SessionAction] {
        var actions = abandonTransaction()
        if case .receivingData = phase { actions = [.abortMessage] }
        if case .receivingChunk = phase, !actions.contains(.abortMessage) { actions = [.abortMessage] }
        phase = .closed
        return actions + [.send(reply), .close]
    }

    /// Drops the transaction; tells the driver to drop a partial BDAT message.
    private mutating func abandonTransaction() -> [SessionAction] {
        defer { transaction = nil }
        if transaction?.chunkedBytes != nil { return [.abortMessage] }
        return []
    }

    private func currentEnvelope() -> Envelope? {
        guard let transaction, let heloName else { return nil }
        return Envelope(sender: transaction.sender,
                        mailParameters: transaction.parameters,
                        recipients: transaction.recipients,
                        heloName: heloName,
                        usedESMTP: usedESMTP,
                        authenticatedAccount: authenticatedAccount,
                        tls: tlsActive ? tls : nil,
                        service: configuration.service)
    }
}
