import SMTPCore

/// The POP3 server session (RFC 1939) as an explicit state machine, without I/O.
///
/// One `mutating` function per event; each returns the ``POP3SessionAction``s the driver
/// performs in order. What needs I/O (the credentials, locking and listing the maildrop,
/// reading a message, removing messages) is requested as an action and completed by an event.
///
/// ```
/// S: +OK mail.alato.example POP3 Portcullis ready       start()
/// C: STLS                                               receivedLine -> .send(+OK), .startTLS
///                                                       tlsEstablished()
/// C: USER taro@alato.example                            receivedLine -> .send(+OK)
/// C: PASS ...                                           receivedLine -> .verifyCredentials
///                                                       credentialsVerified(.success) -> .openMaildrop
/// S: +OK Logged in: maildrop has 2 messages (320 octets)  maildropOpened(.opened(listing))
/// C: RETR 1                                             receivedLine -> .retrieve(1, nil, +OK 120 octets)
/// S: +OK 120 octets ... .                               retrievalFinished(.sent)
/// C: DELE 1                                             receivedLine -> .send(+OK)
/// C: QUIT                                               receivedLine -> .commitDeletions([1])
/// S: +OK Bye: 1 message deleted                         deletionsCommitted(succeeded: true)
/// ```
///
/// The states are RFC 1939's: AUTHORIZATION until the maildrop is open, TRANSACTION, and
/// UPDATE, entered only by QUIT from TRANSACTION. A session that ends any other way (the
/// client hangs up, the idle timer, a shutdown) removes nothing.
///
/// Credentials travel only under TLS (RFC 2595 §2.1, RFC 8314 §3): before STLS on the
/// cleartext service, CAPA lists only STLS, and USER, PASS and AUTH are refused with a
/// response that names STLS.
///
/// Driver contract: while an action waits for its completion (`isAwaitingCompletion`), or
/// during the STLS handshake, only that completion (or `timedOut()`) may be fed; pipelined
/// lines (RFC 2449 §6.6) stay buffered until then. Breaking this traps. Everything the client
/// sends is answered with a response, never a trap.
public struct POP3SessionStateMachine: Sendable {
    private enum Pending: Sendable {
        case credentials
        case maildrop(account: String)
        case retrieval
        case deletions(count: Int)
    }

    private enum Phase: Sendable {
        case notStarted
        case authorization
        /// AUTH PLAIN sent `+ ` and waits for the response line (RFC 5034 §4).
        case saslResponse
        case waiting(Pending)
        case tlsHandshake
        case transaction
        case closed
    }

    public let configuration: POP3SessionConfiguration
    /// True once TLS protects the connection (implicit TLS, or after STLS).
    public private(set) var tlsActive: Bool
    /// The account logged in, once the maildrop is open.
    public private(set) var account: String?
    /// Refused commands so far.
    public private(set) var errorCount = 0

    private var phase: Phase = .notStarted
    /// The name given with USER, until PASS (RFC 1939 §7).
    private var userName: String?
    private var listing = MaildropListing(messages: [])
    /// Marked for deletion: indexes into `listing.messages`.
    private var deleted: Set<Int> = []

    /// - Parameter tlsActive: true on the implicit-TLS service (port 995, RFC 8314 §3.3).
    public init(configuration: POP3SessionConfiguration, tlsActive: Bool) {
        self.configuration = configuration
        self.tlsActive = tlsActive
    }

    // MARK: - State for the driver

    /// True when the next event must complete a requested action.
    public var isAwaitingCompletion: Bool {
        if case .waiting = phase { return true }
        return false
    }

    /// True while a SASL response line is expected: the driver allows
    /// `POP3Limits.saslResponseLine` and must not log the line.
    public var isInAuthExchange: Bool {
        if case .saslResponse = phase { return true }
        return false
    }

    /// True in the TRANSACTION state (the maildrop is open and locked).
    public var isInTransaction: Bool {
        switch phase {
        case .transaction, .waiting(.retrieval), .waiting(.deletions): return true
        default: return false
        }
    }

    /// True once `.close` was emitted.
    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// The messages marked for deletion, by number.
    public var markedForDeletion: [Int] { deleted.sorted().map { $0 + 1 } }

    // MARK: - Events

    /// The connection is open and admitted: greet (RFC 1939 §4).
    public mutating func start() -> [POP3SessionAction] {
        guard case .notStarted = phase else { preconditionFailure("start() called twice") }
        phase = .authorization
        return [.send(.greeting(configuration.hostname))]
    }

    /// One complete line from the client, without CRLF.
    public mutating func receivedLine(_ line: [UInt8]) -> [POP3SessionAction] {
        switch phase {
        case .closed:
            return []
        case .saslResponse:
            phase = .authorization
            return saslResponse(line)
        case .authorization, .transaction:
            switch POP3CommandParser.parse(line) {
            case .success(let command): return handle(command)
            case .failure(let response): return refuse(response)
            }
        default:
            preconditionFailure("receivedLine while \(phase): the driver must queue input")
        }
    }

    /// The client sent a line over the limit (RFC 2449 §4); the framer skipped it.
    public mutating func lineTooLong() -> [POP3SessionAction] {
        malformedLine(.lineTooLong, event: "lineTooLong")
    }

    /// The client ended a line with a bare CR or LF (RFC 1939 §3: lines end with CRLF); the
    /// framer skipped it.
    public mutating func bareLineEnding() -> [POP3SessionAction] {
        malformedLine(.bareLineEnding, event: "bareLineEnding")
    }

    /// A line the framer refused: a command gets `response`; a SASL response ends the exchange
    /// as an invalid one (RFC 5034 §4).
    private mutating func malformedLine(_ response: POP3Response, event: String) -> [POP3SessionAction] {
        switch phase {
        case .closed:
            return []
        case .saslResponse:
            phase = .authorization
            return refuse(.authInvalidResponse)
        case .authorization, .transaction:
            return refuse(response)
        default:
            preconditionFailure("\(event) while \(phase): the driver must queue input")
        }
    }

    /// The TLS handshake completed. After STLS, the session starts AUTHORIZATION afresh
    /// (RFC 2595 §4: forget what was learnt in cleartext). For implicit TLS, may be called
    /// before `start()`.
    public mutating func tlsEstablished() -> [POP3SessionAction] {
        switch phase {
        case .notStarted:
            tlsActive = true
            return []
        case .tlsHandshake:
            tlsActive = true
            userName = nil
            phase = .authorization
            return []
        case .closed:
            return []
        default:
            preconditionFailure("tlsEstablished while \(phase)")
        }
    }

    /// The answer to `.verifyCredentials`.
    public mutating func credentialsVerified(_ outcome: POP3LoginOutcome) -> [POP3SessionAction] {
        guard case .waiting(.credentials) = phase else {
            if isClosed { return [] }
            preconditionFailure("credentialsVerified while \(phase)")
        }
        userName = nil
        switch outcome {
        case .success(let account):
            phase = .waiting(.maildrop(account: account))
            return [.openMaildrop(account: account)]
        case .invalidCredentials, .disabled:
            phase = .authorization
            return [.send(.authFailed)]
        case .temporaryFailure:
            phase = .authorization
            return [.send(.authTemporaryFailure)]
        }
    }

    /// The answer to `.openMaildrop`.
    public mutating func maildropOpened(_ opening: MaildropOpening) -> [POP3SessionAction] {
        guard case .waiting(.maildrop(let account)) = phase else {
            if isClosed { return [] }
            preconditionFailure("maildropOpened while \(phase)")
        }
        switch opening {
        case .opened(let listing):
            self.listing = listing
            self.account = account
            deleted = []
            phase = .transaction
            let (count, octets) = totals()
            return [.send(.loggedIn(count: count, octets: octets))]
        case .inUse:
            phase = .authorization
            return [.send(.maildropInUse)]
        case .unavailable:
            phase = .authorization
            return [.send(.maildropUnavailable)]
        }
    }

    /// The end of a `.retrieve`.
    public mutating func retrievalFinished(_ outcome: RetrievalOutcome) -> [POP3SessionAction] {
        guard case .waiting(.retrieval) = phase else {
            if isClosed { return [] }
            preconditionFailure("retrievalFinished while \(phase)")
        }
        phase = .transaction
        switch outcome {
        case .sent: return []
        case .gone: return [.send(.messageGone)]
        case .unavailable: return [.send(.messageUnavailable)]
        }
    }

    /// The end of the UPDATE state; the session closes either way (RFC 1939 §6).
    public mutating func deletionsCommitted(succeeded: Bool) -> [POP3SessionAction] {
        guard case .waiting(.deletions(let count)) = phase else {
            if isClosed { return [] }
            preconditionFailure("deletionsCommitted while \(phase)")
        }
        phase = .closed
        return [.releaseMaildrop, .send(succeeded ? .deletedAtUpdate(count) : .deletionFailed), .close]
    }

    /// The autologout timer expired (RFC 1939 §3): close without entering UPDATE.
    public mutating func timedOut() -> [POP3SessionAction] {
        closeWith(.idleTimeout)
    }

    /// The server is stopping: close without entering UPDATE.
    public mutating func shutdownRequested() -> [POP3SessionAction] {
        closeWith(.shuttingDown)
    }

    // MARK: - Commands

    private mutating func handle(_ command: POP3Command) -> [POP3SessionAction] {
        switch command {
        case .capa:
            return [.send(.capabilities(capabilities))]
        case .noop:
            return isTransaction ? [.send(.noop)] : refuse(.badSequence)
        case .quit:
            return quit()
        case .stls:
            return stls()
        case .utf8:
            // RFC 6856 §2: only in AUTHORIZATION. Names, passwords and messages are UTF-8
            // already (SMTPUTF8 mail is stored as received); nothing else changes.
            guard case .authorization = phase else { return refuse(.badSequence) }
            return [.send(.utf8Enabled)]
        case .user(let name):
            guard case .authorization = phase else { return refuse(.badSequence) }
            if let refusal = refuseLoginWithoutTLS() { return refusal }
            userName = name
            return [.send(.userAccepted)]
        case .pass(let password):
            guard case .authorization = phase else { return refuse(.badSequence) }
            if let refusal = refuseLoginWithoutTLS() { return refusal }
            guard let userName else { return refuse(.userFirst) }
            phase = .waiting(.credentials)
            return [.verifyCredentials(username: userName, password: password)]
        case .auth(let mechanism, let initialResponse):
            guard case .authorization = phase else { return refuse(.badSequence) }
            if let refusal = refuseLoginWithoutTLS() { return refusal }
            return auth(mechanism: mechanism, initialResponse: initialResponse)
        case .stat:
            guard isTransaction else { return refuse(.badSequence) }
            let (count, octets) = totals()
            return [.send(.status(count: count, octets: octets))]
        case .list(let number):
            guard isTransaction else { return refuse(.badSequence) }
            guard let number else {
                let (count, octets) = totals()
                let entries = undeleted().map { (number: $0 + 1, octets: listing.messages[$0].octets) }
                return [.send(.scanListing(entries, count: count, octets: octets))]
            }
            guard let index = messageIndex(number) else { return refuseMessage(number) }
            return [.send(.scanLine(number: number, octets: listing.messages[index].octets))]
        case .uidl(let number):
            guard isTransaction else { return refuse(.badSequence) }
            guard let number else {
                let entries = undeleted().map { (number: $0 + 1, uid: listing.messages[$0].uniqueID) }
                return [.send(.uniqueIDListing(entries))]
            }
            guard let index = messageIndex(number) else { return refuseMessage(number) }
            return [.send(.uniqueIDLine(number: number, uid: listing.messages[index].uniqueID))]
        case .retr(let number):
            guard isTransaction else { return refuse(.badSequence) }
            guard let index = messageIndex(number) else { return refuseMessage(number) }
            phase = .waiting(.retrieval)
            return [.retrieve(number: number, lines: nil, response: .messageFollows(octets: listing.messages[index].octets))]
        case .top(let number, let lines):
            guard isTransaction else { return refuse(.badSequence) }
            guard messageIndex(number) != nil else { return refuseMessage(number) }
            phase = .waiting(.retrieval)
            return [.retrieve(number: number, lines: lines, response: .topFollows)]
        case .dele(let number):
            guard isTransaction else { return refuse(.badSequence) }
            guard let index = messageIndex(number) else { return refuseMessage(number) }
            deleted.insert(index)
            return [.send(.markedDeleted(number))]
        case .rset:
            guard isTransaction else { return refuse(.badSequence) }
            deleted = []
            let (count, octets) = totals()
            return [.send(.reset(count: count, octets: octets))]
        }
    }

    /// RFC 2449 §5. Before TLS on the cleartext service only STLS is listed (RFC 2595 §4): the
    /// client must ask again after the handshake (RFC 2595 §4 tells it to forget the earlier
    /// answer), and an eavesdropper learns nothing but that TLS is on offer.
    private var capabilities: [String] {
        if !tlsActive && configuration.tlsAvailable { return ["STLS"] }
        var list = [
            "TOP",                  // RFC 2449 §6.1
            "UIDL",                 // RFC 2449 §6.3
            "RESP-CODES",           // RFC 2449 §6.4
            "AUTH-RESP-CODE",       // RFC 3206 §6
            "PIPELINING",           // RFC 2449 §6.6
            "EXPIRE NEVER",         // RFC 2449 §6.7: mail stays until the client deletes it
        ]
        if tlsActive {
            list += ["USER", "SASL PLAIN"]  // RFC 2449 §6.2, §6.3; credentials only under TLS
        }
        list.append("UTF8 USER")                  // RFC 6856 §2, §2.1: UTF-8 user names too
        list.append("IMPLEMENTATION Portcullis")  // RFC 2449 §6.9
        return list
    }

    /// The refusal of a login command before TLS, or nil when logins are allowed.
    private mutating func refuseLoginWithoutTLS() -> [POP3SessionAction]? {
        guard !tlsActive else { return nil }
        return refuse(configuration.tlsAvailable ? .tlsRequired : .tlsUnavailable)
    }

    private mutating func quit() -> [POP3SessionAction] {
        guard isTransaction else {
            phase = .closed
            return [.send(.signingOff), .close]
        }
        guard !deleted.isEmpty else {
            phase = .closed
            return [.releaseMaildrop, .send(.signingOff), .close]
        }
        // RFC 1939 §6: QUIT from TRANSACTION enters UPDATE.
        let numbers = markedForDeletion
        phase = .waiting(.deletions(count: numbers.count))
        return [.commitDeletions(numbers)]
    }

    private mutating func stls() -> [POP3SessionAction] {
        if tlsActive { return refuse(.tlsAlreadyActive) }
        if !configuration.tlsAvailable { return refuse(.tlsUnavailable) }
        // RFC 2595 §4: only in the AUTHORIZATION state.
        guard case .authorization = phase else { return refuse(.badSequence) }
        phase = .tlsHandshake
        return [.send(.beginTLS), .startTLS]
    }

    private mutating func auth(mechanism: String?, initialResponse: String?) -> [POP3SessionAction] {
        guard let mechanism else { return [.send(.mechanisms(["PLAIN"]))] }
        guard mechanism == "PLAIN" else { return refuse(.mechanismUnknown) }
        guard let initialResponse else {
            phase = .saslResponse
            return [.send(.saslContinuation)]
        }
        // RFC 5034 §4: `=` is an empty initial response.
        if initialResponse == "=" { return finishPlain([]) }
        guard let bytes = Base64.decode(initialResponse) else { return refuse(.authInvalidResponse) }
        return finishPlain(bytes)
    }

    private mutating func saslResponse(_ line: [UInt8]) -> [POP3SessionAction] {
        // RFC 5034 §4: `*` cancels the exchange.
        if line == [UInt8(ascii: "*")] { return [.send(.authCancelled)] }
        guard let bytes = line.isEmpty ? [] : Base64.decode(line) else { return refuse(.authInvalidResponse) }
        return finishPlain(bytes)
    }

    private mutating func finishPlain(_ bytes: [UInt8]) -> [POP3SessionAction] {
        guard let credentials = SASLPlain.decode(bytes) else { return refuse(.authInvalidResponse) }
        // RFC 4616 §2: an authorization identity other than the user's own is not granted.
        guard credentials.authzid.isEmpty || credentials.authzid == credentials.authcid else {
            return [.send(.authorizationDenied)]
        }
        phase = .waiting(.credentials)
        return [.verifyCredentials(username: credentials.authcid, password: credentials.password)]
    }

    // MARK: - Helpers

    private var isTransaction: Bool {
        if case .transaction = phase { return true }
        return false
    }

    /// The index of message `number`, or nil when it is not in the listing or is marked
    /// deleted (RFC 1939 §5: a deleted message may not be referred to).
    private func messageIndex(_ number: Int) -> Int? {
        guard number >= 1, number <= listing.messages.count, !deleted.contains(number - 1) else { return nil }
        return number - 1
    }

    /// The refusal for a number ``messageIndex(_:)`` did not accept.
    private mutating func refuseMessage(_ number: Int) -> [POP3SessionAction] {
        guard number >= 1, number <= listing.messages.count else { return refuse(.noSuchMessage) }
        return refuse(.messageDeleted(number))
    }

    private func undeleted() -> [Int] {
        listing.messages.indices.filter { !deleted.contains($0) }
    }

    /// The count and octets of the messages not marked deleted (RFC 1939 §5 STAT).
    private func totals() -> (count: Int, octets: Int) {
        var count = 0, octets = 0
        for index in listing.messages.indices where !deleted.contains(index) {
            count += 1
            octets += listing.messages[index].octets
        }
        return (count, octets)
    }

    /// Sends a refusal and applies the error budget.
    private mutating func refuse(_ response: POP3Response) -> [POP3SessionAction] {
        errorCount += 1
        if errorCount >= configuration.maxErrors {
            return [.send(response)] + closeWith(.tooManyErrors)
        }
        return [.send(response)]
    }

    private mutating func closeWith(_ response: POP3Response) -> [POP3SessionAction] {
        guard !isClosed else { return [] }
        phase = .closed
        return [.send(response), .close]
    }
}
