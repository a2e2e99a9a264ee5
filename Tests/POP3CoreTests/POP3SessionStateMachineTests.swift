import POP3Core
import SMTPCore
import Testing

@Suite("POP3 session state machine")
struct POP3SessionStateMachineTests {
    private static let configuration = POP3SessionConfiguration(hostname: "mail.alato.example", tlsAvailable: true, maxErrors: 20)
    private static let listing = MaildropListing(messages: [
        .init(octets: 120, uniqueID: "1733440000.M1P1Q1.mail"),
        .init(octets: 200, uniqueID: "1733440001.M2P1Q2.mail"),
    ])

    private func line(_ machine: inout POP3SessionStateMachine, _ text: String) -> [POP3SessionAction] {
        machine.receivedLine(Array(text.utf8))
    }

    /// A session logged in over implicit TLS with the two-message listing.
    private func loggedIn() -> POP3SessionStateMachine {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = machine.start()
        _ = line(&machine, "USER taro@alato.example")
        _ = line(&machine, "PASS pw")
        _ = machine.credentialsVerified(.success(account: "taro@alato.example"))
        _ = machine.maildropOpened(.opened(Self.listing))
        return machine
    }

    @Test("Greeting, then CAPA before TLS offers only STLS")
    func capaBeforeTLS() {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: false)
        #expect(machine.start() == [.send(.greeting("mail.alato.example"))])
        let actions = line(&machine, "CAPA")
        guard case .send(let response) = actions.first, let capabilities = response.lines else {
            Issue.record("no capability list")
            return
        }
        #expect(capabilities == ["STLS"])
    }

    @Test("Logins before TLS are refused with a response naming STLS", arguments: ["USER taro@alato.example", "PASS pw", "AUTH PLAIN", "AUTH PLAIN AHRhcm8AcHc="])
    func loginNeedsTLS(command: String) {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: false)
        _ = machine.start()
        #expect(line(&machine, command) == [.send(.tlsRequired)])
        #expect(POP3Response.tlsRequired.firstLine.contains("STLS"))
    }

    @Test("STLS, then CAPA lists USER and SASL PLAIN and no STLS; the USER given before is forgotten")
    func stls() {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: false)
        _ = machine.start()
        #expect(line(&machine, "STLS") == [.send(.beginTLS), .startTLS])
        #expect(machine.tlsEstablished() == [])
        guard case .send(let response) = line(&machine, "CAPA").first, let capabilities = response.lines else {
            Issue.record("no capability list")
            return
        }
        #expect(capabilities == ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER",
                                 "USER", "SASL PLAIN", "UTF8 USER", "IMPLEMENTATION Portcullis"])
        #expect(line(&machine, "UTF8") == [.send(.utf8Enabled)])
        #expect(line(&machine, "STLS") == [.send(.tlsAlreadyActive)])
        #expect(line(&machine, "PASS pw") == [.send(.userFirst)])
    }

    @Test("USER/PASS: credentials, then the maildrop, then TRANSACTION")
    func userPass() {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = machine.start()
        #expect(line(&machine, "USER taro@alato.example") == [.send(.userAccepted)])
        #expect(line(&machine, "PASS a pass word") == [.verifyCredentials(username: "taro@alato.example", password: Secret("a pass word"))])
        #expect(machine.isAwaitingCompletion)
        #expect(machine.credentialsVerified(.success(account: "taro@alato.example")) == [.openMaildrop(account: "taro@alato.example")])
        #expect(machine.maildropOpened(.opened(Self.listing)) == [.send(.loggedIn(count: 2, octets: 320))])
        #expect(machine.isInTransaction)
        #expect(machine.account == "taro@alato.example")
    }

    @Test("Failed logins: [AUTH] (also for a disabled account), [SYS/TEMP], [IN-USE]; the session stays in AUTHORIZATION")
    func failedLogins() {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = machine.start()
        for (outcome, response) in [(POP3LoginOutcome.invalidCredentials, POP3Response.authFailed),
                                    (.disabled, .authFailed), (.temporaryFailure, .authTemporaryFailure)] {
            _ = line(&machine, "USER taro@alato.example")
            _ = line(&machine, "PASS pw")
            #expect(machine.credentialsVerified(outcome) == [.send(response)])
            #expect(line(&machine, "STAT") == [.send(.badSequence)])
        }
        _ = line(&machine, "USER taro@alato.example")
        _ = line(&machine, "PASS pw")
        _ = machine.credentialsVerified(.success(account: "taro@alato.example"))
        #expect(machine.maildropOpened(.inUse) == [.send(.maildropInUse)])
        #expect(POP3Response.maildropInUse.firstLine.hasPrefix("-ERR [IN-USE]"))
        #expect(!machine.isInTransaction)
    }

    @Test("AUTH PLAIN with an initial response and with the + continuation; * cancels")
    func authPlain() {
        let plain = Base64.encode(SASLPlain.encode(authcid: "taro@alato.example", password: Secret("pw")))
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = machine.start()
        #expect(line(&machine, "AUTH PLAIN \(plain)") == [.verifyCredentials(username: "taro@alato.example", password: Secret("pw"))])
        _ = machine.credentialsVerified(.invalidCredentials)
        #expect(line(&machine, "AUTH PLAIN") == [.send(.saslContinuation)])
        #expect(machine.isInAuthExchange)
        #expect(line(&machine, plain) == [.verifyCredentials(username: "taro@alato.example", password: Secret("pw"))])
        _ = machine.credentialsVerified(.invalidCredentials)
        #expect(line(&machine, "AUTH PLAIN") == [.send(.saslContinuation)])
        #expect(line(&machine, "*") == [.send(.authCancelled)])
        #expect(line(&machine, "AUTH PLAIN !!!") == [.send(.authInvalidResponse)])
        #expect(line(&machine, "AUTH CRAM-MD5") == [.send(.mechanismUnknown)])
        let other = Base64.encode(SASLPlain.encode(authzid: "jiro@alato.example", authcid: "taro@alato.example", password: Secret("pw")))
        #expect(line(&machine, "AUTH PLAIN \(other)") == [.send(.authorizationDenied)])
        #expect(line(&machine, "AUTH") == [.send(.mechanisms(["PLAIN"]))])
    }

    @Test("STAT, LIST, UIDL, DELE, RSET follow the marks")
    func transaction() {
        var machine = loggedIn()
        #expect(line(&machine, "STAT") == [.send(.status(count: 2, octets: 320))])
        #expect(line(&machine, "LIST 2") == [.send(.scanLine(number: 2, octets: 200))])
        #expect(line(&machine, "UIDL 1") == [.send(.uniqueIDLine(number: 1, uid: "1733440000.M1P1Q1.mail"))])
        #expect(line(&machine, "LIST 3") == [.send(.noSuchMessage)])
        #expect(line(&machine, "LIST 0") == [.send(.noSuchMessage)])
        #expect(line(&machine, "DELE 1") == [.send(.markedDeleted(1))])
        #expect(line(&machine, "DELE 1") == [.send(.messageDeleted(1))])
        #expect(line(&machine, "RETR 1") == [.send(.messageDeleted(1))])
        #expect(line(&machine, "STAT") == [.send(.status(count: 1, octets: 200))])
        #expect(line(&machine, "LIST") == [.send(.scanListing([(number: 2, octets: 200)], count: 1, octets: 200))])
        #expect(line(&machine, "UIDL") == [.send(.uniqueIDListing([(number: 2, uid: "1733440001.M2P1Q2.mail")]))])
        #expect(line(&machine, "RSET") == [.send(.reset(count: 2, octets: 320))])
        #expect(line(&machine, "STAT") == [.send(.status(count: 2, octets: 320))])
        #expect(line(&machine, "NOOP") == [.send(.noop)])
        #expect(line(&machine, "USER x@alato.example") == [.send(.badSequence)])
        #expect(line(&machine, "STLS") == [.send(.tlsAlreadyActive)])
        #expect(line(&machine, "UTF8") == [.send(.badSequence)])
    }

    @Test("RETR and TOP are requested and completed")
    func retrieval() {
        var machine = loggedIn()
        #expect(line(&machine, "RETR 2") == [.retrieve(number: 2, lines: nil, response: .messageFollows(octets: 200))])
        #expect(machine.isAwaitingCompletion)
        #expect(machine.retrievalFinished(.sent) == [])
        #expect(line(&machine, "TOP 1 3") == [.retrieve(number: 1, lines: 3, response: .topFollows)])
        #expect(machine.retrievalFinished(.unavailable) == [.send(.messageUnavailable)])
        #expect(!machine.isAwaitingCompletion)
        _ = line(&machine, "RETR 1")
        #expect(machine.retrievalFinished(.gone) == [.send(.messageGone)])
        #expect(POP3Response.messageGone.firstLine == "-ERR Message no longer exists")
    }

    @Test("Only QUIT in TRANSACTION removes, and only what is marked")
    func update() {
        var machine = loggedIn()
        _ = line(&machine, "DELE 2")
        _ = line(&machine, "DELE 1")
        #expect(line(&machine, "QUIT") == [.commitDeletions([1, 2])])
        #expect(machine.deletionsCommitted(succeeded: true) == [.releaseMaildrop, .send(.deletedAtUpdate(2)), .close])

        var failing = loggedIn()
        _ = line(&failing, "DELE 1")
        _ = line(&failing, "QUIT")
        #expect(failing.deletionsCommitted(succeeded: false) == [.releaseMaildrop, .send(.deletionFailed), .close])

        var nothingMarked = loggedIn()
        #expect(line(&nothingMarked, "QUIT") == [.releaseMaildrop, .send(.signingOff), .close])

        var timedOut = loggedIn()
        _ = line(&timedOut, "DELE 1")
        #expect(timedOut.timedOut() == [.send(.idleTimeout), .close])
        #expect(timedOut.isClosed)

        var stopping = loggedIn()
        _ = line(&stopping, "DELE 1")
        #expect(stopping.shutdownRequested() == [.send(.shuttingDown), .close])

        var authorization = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = authorization.start()
        #expect(line(&authorization, "QUIT") == [.send(.signingOff), .close])
    }

    @Test("Bad lines count; the budget closes the session")
    func errorBudget() {
        var configuration = Self.configuration
        configuration.maxErrors = 5
        var machine = POP3SessionStateMachine(configuration: configuration, tlsActive: true)
        _ = machine.start()
        for _ in 0..<4 { #expect(line(&machine, "BOGUS") == [.send(.unknownCommand)]) }
        #expect(machine.lineTooLong() == [.send(.lineTooLong), .send(.tooManyErrors), .close])
        #expect(machine.isClosed)
        #expect(line(&machine, "STAT") == [])
    }

    @Test("Completions after the session closed are ignored")
    func lateCompletion() {
        var machine = POP3SessionStateMachine(configuration: Self.configuration, tlsActive: true)
        _ = machine.start()
        _ = line(&machine, "USER taro@alato.example")
        _ = line(&machine, "PASS pw")
        _ = machine.timedOut()
        #expect(machine.credentialsVerified(.success(account: "taro@alato.example")) == [])
    }
}
