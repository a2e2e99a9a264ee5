import Testing
@testable import SMTPCore

@Suite struct SessionStateMachineTests {
    private static let baseKeywords = ["PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8",
                                       "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]

    // MARK: Greeting and EHLO

    @Test func greeting() {
        var harness = SessionHarness(start: false)
        #expect(harness.machine.start() == [.send(.serviceReady(SessionHarness.hostname))])
    }

    @Test func ehloAdvertisesExtensionsInOrder() {
        var harness = SessionHarness(service: .relay, tlsAvailable: true)
        let actions = harness.line("EHLO client.example.net")
        #expect(actions == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords + ["STARTTLS"]))])
    }

    @Test func relayWithoutCertificateOffersNoSTARTTLS() {
        var harness = SessionHarness(service: .relay, tlsAvailable: false)
        #expect(harness.line("EHLO x") == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords))])
    }

    @Test func relayOffersAUTHOnlyAfterSTARTTLS() {
        var harness = SessionHarness(service: .relay, tlsAvailable: true)
        #expect(harness.line("EHLO x") == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords + ["STARTTLS"]))])
        #expect(harness.line("STARTTLS") == [.send(.readyToStartTLS), .startTLS])
        #expect(harness.machine.tlsEstablished(SessionHarness.tlsInfo) == [])
        #expect(harness.line("EHLO x") == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords + ["AUTH PLAIN LOGIN"]))])
    }

    @Test func relayRefusesCleartextAUTHAsSubmissionDoes() {
        var relay = SessionHarness(service: .relay, tlsActive: false)
        relay.line("EHLO x")
        #expect(relay.line("AUTH PLAIN") == [.send(.encryptionRequiredForAuth)])
        #expect(relay.line("AUTH LOGIN dGFybw==") == [.send(.encryptionRequiredForAuth)])
        #expect(relay.machine.authenticatedAccount == nil)
        #expect(!relay.machine.followsSubmissionRules)
    }

    @Test func authenticatedRelaySessionFollowsTheSubmissionRules() throws {
        var relay = SessionHarness(service: .relay, tlsActive: true)
        relay.line("EHLO laptop")
        #expect(!relay.machine.followsSubmissionRules)
        let response = Base64.encode(SASLPlain.encode(authcid: "taro@alato.example", password: Secret("pw")))
        try #require(relay.line("AUTH PLAIN " + response) == [.verifyCredentials(
            mechanism: "PLAIN", authzid: nil, username: "taro@alato.example", password: Secret("pw"))])
        #expect(relay.machine.credentialsVerified(.success(account: "taro@alato.example")) == [.send(.authSucceeded)])
        #expect(relay.machine.followsSubmissionRules)
        // As on submission: no null sender, and the Received header says ESMTPSA.
        #expect(relay.line("MAIL FROM:<>") == [.send(.nullSenderNotAllowed)])
        relay.acceptedMail("MAIL FROM:<taro@alato.example>")
        #expect(relay.machine.protocolKeyword == .esmtpsa)
    }

    @Test func unauthenticatedRelayKeepsTheNullSender() {
        var relay = SessionHarness(service: .relay, tlsActive: true)
        relay.line("EHLO mx.example.net")
        #expect(relay.line("MAIL FROM:<>") == [.checkSender(.null, MailParameters())])
    }

    @Test func submissionOffersAUTHOnlyUnderTLS() {
        var plain = SessionHarness(service: .submission, tlsActive: false)
        #expect(plain.line("EHLO x") == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords + ["STARTTLS"]))])
        var secure = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        #expect(secure.line("EHLO x") == [.send(.ehlo(SessionHarness.hostname, keywords: Self.baseKeywords + ["AUTH PLAIN LOGIN"]))])
    }

    @Test func heloGivesPlain250() {
        var harness = SessionHarness()
        #expect(harness.line("HELO client") == [.send(.helo(SessionHarness.hostname))])
        #expect(harness.machine.heloName == "client")
        #expect(!harness.machine.usedESMTP)
    }

    // MARK: Happy paths

    @Test func relayHappyPath() throws {
        var harness = SessionHarness(service: .relay)
        harness.line("EHLO client.example.net")
        let sender = Mailbox(localPart: "a", domain: .name("example.net"))
        let recipient = Mailbox(localPart: "b", domain: .name("alato.example"))

        #expect(harness.line("MAIL FROM:<a@example.net> SIZE=100") ==
                [.checkSender(.mailbox(sender), MailParameters(size: 100))])
        #expect(harness.machine.isAwaitingCompletion)
        #expect(harness.machine.senderChecked(.success(())) == [.send(.senderOk)])

        #expect(harness.line("RCPT TO:<b@alato.example> NOTIFY=NEVER") ==
                [.checkRecipient(.mailbox(recipient), RcptParameters(notify: .never))])
        #expect(harness.machine.recipientChecked(.success(())) == [.send(.recipientOk)])

        let dataActions = harness.line("DATA")
        #expect(dataActions.first == .send(.startData))
        let envelope = try #require(receivedEnvelope(dataActions))
        #expect(envelope.sender == .mailbox(sender))
        #expect(envelope.mailParameters.size == 100)
        #expect(envelope.recipients == [EnvelopeRecipient(path: .mailbox(recipient), parameters: RcptParameters(notify: .never))])
        #expect(envelope.heloName == "client.example.net")
        #expect(envelope.authenticatedAccount == nil)
        #expect(envelope.tls == nil)
        #expect(envelope.service == .relay)
        #expect(envelope.receivedProtocol == .esmtp)
        #expect(!harness.machine.expectsLine)

        #expect(harness.machine.dataFinished(.complete(size: 10)) == [.queueMessage(envelope)])
        #expect(harness.machine.messageQueued(queueID: "4F2A") == [.send(.queued("4F2A"))])

        // The session goes on: a second transaction starts from scratch.
        #expect(!harness.machine.hasTransaction)
        #expect(harness.line("RCPT TO:<b@alato.example>") == [.send(.needMail)])
        #expect(harness.acceptedMail("MAIL FROM:<>") == [.send(.senderOk)])
    }

    @Test func submissionHappyPathWithImplicitTLS() throws {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        let initial = Base64.encode(SASLPlain.encode(authcid: "user@alato.example", password: Secret("pw")))
        #expect(harness.line("AUTH PLAIN \(initial)") ==
                [.verifyCredentials(mechanism: "PLAIN", authzid: nil, username: "user@alato.example", password: Secret("pw"))])
        #expect(harness.machine.credentialsVerified(.success(account: "user@alato.example")) == [.send(.authSucceeded)])
        #expect(harness.machine.authenticatedAccount == "user@alato.example")

        #expect(harness.acceptedMail() == [.send(.senderOk)])
        #expect(harness.acceptedRcpt() == [.send(.recipientOk)])
        let envelope = try #require(receivedEnvelope(harness.line("DATA")))
        #expect(envelope.authenticatedAccount == "user@alato.example")
        #expect(envelope.tls == SessionHarness.tlsInfo)
        #expect(envelope.service == .submissionImplicitTLS)
        #expect(envelope.receivedProtocol == .esmtpsa)
        #expect(harness.machine.dataFinished(.complete(size: 5)) == [.queueMessage(envelope)])
        #expect(codes(harness.machine.messageQueued(queueID: "Q1")) == [250])
    }

    @Test func submissionWithSTARTTLS() {
        var harness = SessionHarness(service: .submission, tlsActive: false)
        harness.line("EHLO laptop")
        #expect(harness.line("STARTTLS") == [.send(.readyToStartTLS), .startTLS])
        #expect(!harness.machine.expectsLine)
        #expect(harness.machine.tlsEstablished(SessionHarness.tlsInfo) == [])
        #expect(harness.machine.tlsActive)
        // RFC 3207 §4.2: the EHLO from before TLS is forgotten.
        #expect(harness.machine.heloName == nil)
        #expect(harness.line("MAIL FROM:<user@alato.example>") == [.send(.heloFirst)])
        let ehlo = replies(harness.line("EHLO laptop"))
        #expect(ehlo.first?.lines.contains("AUTH PLAIN LOGIN") == true)
        #expect(ehlo.first?.lines.contains("STARTTLS") == false)
    }

    @Test func implicitTLSCanLearnParametersBeforeStart() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true, start: false)
        let info = TLSInfo(version: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256")
        #expect(harness.machine.tlsEstablished(info) == [])
        #expect(harness.machine.tls == info)
        #expect(codes(harness.machine.start()) == [220])
    }

    // MARK: AUTH

    @Test func authLoginExchange() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        #expect(harness.line("AUTH LOGIN") == [.send(.authUsernamePrompt)])
        #expect(harness.machine.isInAuthExchange)
        #expect(harness.line(Base64.encode("user@alato.example")) == [.send(.authPasswordPrompt)])
        #expect(harness.line(Base64.encode("secret")) ==
                [.verifyCredentials(mechanism: "LOGIN", authzid: nil, username: "user@alato.example", password: Secret("secret"))])
        #expect(harness.machine.credentialsVerified(.failure) == [.send(.authFailed)])
        #expect(harness.machine.errorCount == 1)
    }

    @Test func authLoginWithInitialResponse() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        #expect(harness.line("AUTH LOGIN \(Base64.encode("user"))") == [.send(.authPasswordPrompt)])
    }

    @Test func authPlainWithoutInitialResponse() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        let actions = harness.line("AUTH PLAIN")
        #expect(actions == [.send(.authChallenge(""))])
        #expect(replies(actions).first?.encoded() == "334 \r\n")
        let response = Base64.encode(SASLPlain.encode(authzid: "user", authcid: "user", password: Secret("pw")))
        #expect(harness.line(response) ==
                [.verifyCredentials(mechanism: "PLAIN", authzid: "user", username: "user", password: Secret("pw"))])
        #expect(harness.machine.credentialsVerified(.temporaryFailure) == [.send(.authTemporaryFailure)])
        #expect(harness.machine.errorCount == 0)
    }

    @Test func authCancelled() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        harness.line("AUTH LOGIN")
        #expect(harness.line("*") == [.send(.authCancelled)])
        #expect(harness.machine.errorCount == 0)
        #expect(!harness.machine.isInAuthExchange)
        #expect(harness.line("NOOP") == [.send(.ok)])
    }

    @Test(arguments: ["not base64!", "dXNlcg", "AHVzZXI="])   // last: PLAIN without password
    func authInvalidResponse(response: String) {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        harness.line("AUTH PLAIN")
        #expect(harness.line(response) == [.send(.authInvalidResponse)])
        #expect(harness.machine.errorCount == 1)
    }

    @Test func authInitialResponseInvalid() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO laptop")
        #expect(harness.line("AUTH PLAIN dXNlcg") == [.send(.authInvalidResponse)])
        #expect(harness.line("AUTH PLAIN =") == [.send(.authInvalidResponse)])
    }

    @Test func authRefusals() {
        var cleartext = SessionHarness(service: .submission, tlsActive: false)
        cleartext.line("EHLO x")
        #expect(cleartext.line("AUTH PLAIN") == [.send(.encryptionRequiredForAuth)])

        var noEhlo = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        #expect(codes(noEhlo.line("AUTH PLAIN")) == [503])
        noEhlo.line("HELO x")
        #expect(codes(noEhlo.line("AUTH PLAIN")) == [503])

        var unknown = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        unknown.line("EHLO x")
        #expect(unknown.line("AUTH CRAM-MD5") == [.send(.authMechanismUnknown)])

        var twice = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        twice.greetAndAuthenticate()
        #expect(twice.line("AUTH PLAIN") == [.send(.alreadyAuthenticated)])
    }

    @Test func configuredMechanismsAreMatchedCaseInsensitively() {
        let configuration = SessionConfiguration(hostname: "h", service: .submissionImplicitTLS,
                                                 tlsAvailable: true, authMechanisms: ["login"])
        #expect(configuration.authMechanisms == ["LOGIN"])
        var machine = SessionStateMachine(configuration: configuration, tlsActive: true)
        _ = machine.start()
        #expect(replies(machine.receivedLine(bytes("EHLO x"))).first?.lines.last == "AUTH LOGIN")
        #expect(machine.receivedLine(bytes("auth login")) == [.send(.authUsernamePrompt)])
        #expect(machine.receivedLine(bytes("*")) == [.send(.authCancelled)])
        #expect(machine.receivedLine(bytes("AUTH PLAIN")) == [.send(.authMechanismUnknown)])
    }

    // MARK: MAIL

    @Test func mailRefusals() {
        var noHelo = SessionHarness()
        #expect(noHelo.line("MAIL FROM:<a@example.net>") == [.send(.heloFirst)])

        var plainSubmission = SessionHarness(service: .submission, tlsActive: false)
        plainSubmission.line("EHLO x")
        #expect(plainSubmission.line("MAIL FROM:<user@alato.example>") == [.send(.encryptionRequired)])

        var anonymous = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        anonymous.line("EHLO x")
        #expect(anonymous.line("MAIL FROM:<user@alato.example>") == [.send(.authRequired)])

        var nullSender = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        nullSender.greetAndAuthenticate()
        #expect(nullSender.line("MAIL FROM:<>") == [.send(.nullSenderNotAllowed)])

        var tooBig = SessionHarness(maxMessageSize: 1000)
        tooBig.line("EHLO x")
        #expect(tooBig.line("MAIL FROM:<a@example.net> SIZE=1001") == [.send(.messageTooBig)])
        #expect(tooBig.line("MAIL FROM:<a@example.net> SIZE=99999999999999999999") == [.send(.messageTooBig)])
        #expect(tooBig.acceptedMail("MAIL FROM:<a@example.net> SIZE=1000") == [.send(.senderOk)])

        var utf8 = SessionHarness()
        utf8.line("EHLO x")
        #expect(utf8.line("MAIL FROM:<ユーザー@example.net>") == [.send(.smtputf8Required)])
        #expect(utf8.acceptedMail("MAIL FROM:<ユーザー@example.net> SMTPUTF8") == [.send(.senderOk)])

        var nested = SessionHarness()
        nested.line("EHLO x")
        nested.acceptedMail()
        #expect(nested.line("MAIL FROM:<a@example.net>") == [.send(.nestedMail)])

        var helo = SessionHarness()
        helo.line("HELO x")
        #expect(helo.line("MAIL FROM:<a@example.net> SIZE=10") == [.send(.parametersNotRecognized)])
        #expect(helo.acceptedMail("MAIL FROM:<a@example.net>") == [.send(.senderOk)])

        var binary = SessionHarness()
        binary.line("EHLO x")
        #expect(codes(binary.line("MAIL FROM:<a@example.net> BODY=BINARYMIME")) == [555])
    }

    @Test func senderRefusedByPolicy() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.line("MAIL FROM:<a@example.net>")
        let refusal = Reply.senderNotOwned(allowed: "user@alato.example")
        #expect(harness.machine.senderChecked(.failure(refusal)) == [.send(refusal)])
        #expect(!harness.machine.hasTransaction)
        #expect(harness.machine.errorCount == 1)
    }

    // MARK: RCPT

    @Test func rcptRefusals() {
        var noMail = SessionHarness()
        noMail.line("EHLO x")
        #expect(noMail.line("RCPT TO:<b@alato.example>") == [.send(.needMail)])

        var utf8 = SessionHarness()
        utf8.line("EHLO x")
        utf8.acceptedMail()
        #expect(utf8.line("RCPT TO:<ユーザー@alato.example>") == [.send(.smtputf8Required)])
    }

    @Test func recipientLimitGives452AndIsNotAnError() {
        var harness = SessionHarness(maxRecipients: 2, maxErrors: 2)
        harness.line("EHLO x")
        harness.acceptedMail()
        #expect(harness.acceptedRcpt("RCPT TO:<a@alato.example>") == [.send(.recipientOk)])
        #expect(harness.acceptedRcpt("RCPT TO:<b@alato.example>") == [.send(.recipientOk)])
        for _ in 0..<5 {
            #expect(harness.line("RCPT TO:<c@alato.example>") == [.send(.tooManyRecipients)])
        }
        #expect(harness.machine.errorCount == 0)
        #expect(!harness.machine.isClosed)
        #expect(receivedEnvelope(harness.line("DATA"))?.recipients.count == 2)
    }

    @Test func pipelinedTransactionWithARefusedRecipient() throws {
        // C: MAIL, RCPT, RCPT, RCPT, DATA in one packet (RFC 2920); the driver feeds them
        // one at a time, completing each decision before the next line.
        var harness = SessionHarness()
        harness.line("EHLO x")
        var sent: [Int] = []
        sent += codes(harness.acceptedMail())
        sent += codes(harness.acceptedRcpt("RCPT TO:<a@alato.example>"))
        harness.line("RCPT TO:<nobody@alato.example>")
        sent += codes(harness.machine.recipientChecked(.failure(.mailboxUnavailable)))
        sent += codes(harness.acceptedRcpt("RCPT TO:<c@alato.example>"))
        let data = harness.line("DATA")
        sent += codes(data)
        #expect(sent == [250, 250, 550, 250, 354])
        let envelope = try #require(receivedEnvelope(data))
        #expect(envelope.recipients.map(\.path.description) == ["<a@alato.example>", "<c@alato.example>"])
    }

    @Test func pipelinedTransactionWithAllRecipientsRefused() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.line("RCPT TO:<nobody@example.org>")
        #expect(harness.machine.recipientChecked(.failure(.relayDenied)) == [.send(.relayDenied)])
        #expect(harness.line("DATA") == [.send(.noValidRecipients)])
        #expect(harness.line("BDAT 10 LAST") == [.discardChunk(size: 10), .send(.noValidRecipients)])
    }

    @Test func postmasterRecipientIsCheckedLikeOthers() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        #expect(harness.line("RCPT TO:<Postmaster>") == [.checkRecipient(.postmaster, RcptParameters())])
    }

    // MARK: DATA

    @Test func dataRefusals() {
        var noMail = SessionHarness()
        noMail.line("EHLO x")
        #expect(noMail.line("DATA") == [.send(.needMail)])

        var noRcpt = SessionHarness()
        noRcpt.line("EHLO x")
        noRcpt.acceptedMail()
        #expect(noRcpt.line("DATA") == [.send(.noValidRecipients)])

        var noHelo = SessionHarness()
        #expect(noHelo.line("DATA") == [.send(.heloFirst)])
    }

    @Test func rejectedDataEndsTheTransaction() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("DATA")
        #expect(harness.machine.dataFinished(.rejected(.bareLineFeed)) == [.send(.bareLineFeed)])
        #expect(!harness.machine.hasTransaction)
        #expect(harness.line("RCPT TO:<a@alato.example>") == [.send(.needMail)])
    }

    @Test func oversizedDataIsRefusedEvenIfTheDriverMissedIt() {
        var harness = SessionHarness(maxMessageSize: 1000)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("DATA")
        #expect(harness.machine.dataFinished(.complete(size: 1001)) == [.abortMessage, .send(.messageTooBig)])
    }

    @Test func queueFailureIsReportedAndResets() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("DATA")
        _ = harness.machine.dataFinished(.complete(size: 1))
        #expect(harness.machine.queueFailed(.localError(sessionID: "s1")) == [.send(.localError(sessionID: "s1"))])
        #expect(!harness.machine.hasTransaction)
        #expect(harness.machine.errorCount == 0)
    }

    // MARK: BDAT

    @Test func bdatHappyPath() throws {
        var harness = SessionHarness(maxMessageSize: 1000)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        let first = harness.line("BDAT 600")
        guard case .receiveChunk(600, false, let envelope)? = first.first else {
            Issue.record("expected receiveChunk, got \(first)")
            return
        }
        #expect(envelope.recipients.count == 1)
        #expect(harness.machine.chunkFinished(.complete) == [.send(.chunkReceived(600))])
        let last = harness.line("BDAT 400 LAST")
        #expect(last.count == 1)
        #expect(harness.machine.chunkFinished(.complete) == [.queueMessage(envelope)])
        #expect(harness.machine.messageQueued(queueID: "B1") == [.send(.queued("B1"))])
    }

    @Test func bdatOverTheLimitAbandonsTheTransaction() {
        var harness = SessionHarness(maxMessageSize: 1000)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("BDAT 600")
        _ = harness.machine.chunkFinished(.complete)
        #expect(harness.line("BDAT 401 LAST") == [.discardChunk(size: 401), .abortMessage, .send(.messageTooBig)])
        #expect(!harness.machine.hasTransaction)
        #expect(harness.line("BDAT 1 LAST") == [.discardChunk(size: 1), .send(.needMail)])
    }

    @Test func bdatFirstChunkTooBig() {
        var harness = SessionHarness(maxMessageSize: 1000)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        #expect(harness.line("BDAT 1001") == [.discardChunk(size: 1001), .send(.messageTooBig)])
    }

    @Test func bdatSequencing() {
        var noMail = SessionHarness()
        noMail.line("EHLO x")
        #expect(noMail.line("BDAT 5") == [.discardChunk(size: 5), .send(.needMail)])

        var noHelo = SessionHarness()
        #expect(noHelo.line("BDAT 5 LAST") == [.discardChunk(size: 5), .send(.heloFirst)])

        // RFC 3030 §2: no DATA once BDAT started the message.
        var mixed = SessionHarness()
        mixed.line("EHLO x")
        mixed.acceptedMail()
        mixed.acceptedRcpt()
        mixed.line("BDAT 3")
        _ = mixed.machine.chunkFinished(.complete)
        #expect(mixed.line("DATA") == [.send(.dataBDATMixed)])
        #expect(codes(mixed.line("RCPT TO:<late@alato.example>")) == [503])
        // RSET drops the partial message.
        #expect(mixed.line("RSET") == [.abortMessage, .send(.ok)])
    }

    @Test func bdatChunkRejectedByDriver() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("BDAT 3")
        #expect(harness.machine.chunkFinished(.rejected(.localError(sessionID: "s1"))) == [.abortMessage, .send(.localError(sessionID: "s1"))])
        #expect(!harness.machine.hasTransaction)
    }

    @Test func bdatZeroLastEndsAMessage() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("BDAT 10")
        _ = harness.machine.chunkFinished(.complete)
        let actions = harness.line("BDAT 0 LAST")
        guard case .receiveChunk(0, true, _)? = actions.first else {
            Issue.record("expected receiveChunk, got \(actions)")
            return
        }
        guard case .queueMessage? = harness.machine.chunkFinished(.complete).first else {
            Issue.record("expected queueMessage")
            return
        }
    }

    // MARK: Other commands

    @Test func rsetClearsEnvelopeKeepsGreetingAndAuth() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.greetAndAuthenticate()
        harness.acceptedMail()
        harness.acceptedRcpt()
        #expect(harness.line("RSET") == [.send(.ok)])
        #expect(!harness.machine.hasTransaction)
        #expect(harness.machine.heloName == "client.example.net")
        #expect(harness.machine.authenticatedAccount == "user@alato.example")
        #expect(harness.line("RCPT TO:<a@example.net>") == [.send(.needMail)])
        #expect(harness.acceptedMail() == [.send(.senderOk)])
    }

    @Test func ehloResetsTheTransaction() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.line("EHLO y")
        #expect(!harness.machine.hasTransaction)
        #expect(harness.machine.heloName == "y")
    }

    @Test func startTLSRefusals() {
        var unavailable = SessionHarness(tlsAvailable: false)
        unavailable.line("EHLO x")
        #expect(unavailable.line("STARTTLS") == [.send(.tlsNotAvailable)])

        var already = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        already.line("EHLO x")
        #expect(already.line("STARTTLS") == [.send(.alreadyTLS)])

        var withParameters = SessionHarness()
        withParameters.line("EHLO x")
        #expect(codes(withParameters.line("STARTTLS now")) == [501])

        var noEhlo = SessionHarness()
        #expect(noEhlo.line("STARTTLS") == [.send(.heloFirst)])

        var inTransaction = SessionHarness()
        inTransaction.line("EHLO x")
        inTransaction.acceptedMail()
        #expect(codes(inTransaction.line("STARTTLS")) == [503])
    }

    @Test func startTLSForgetsTheRelaySession() {
        var harness = SessionHarness(service: .relay)
        harness.line("EHLO x")
        #expect(harness.line("STARTTLS") == [.send(.readyToStartTLS), .startTLS])
        _ = harness.machine.tlsEstablished(SessionHarness.tlsInfo)
        #expect(harness.machine.heloName == nil)
        #expect(harness.machine.authenticatedAccount == nil)
        #expect(harness.line("STARTTLS") == [.send(.alreadyTLS)])
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        #expect(receivedEnvelope(harness.line("DATA"))?.receivedProtocol == .esmtps)
    }

    @Test(arguments: [
        ("VRFY user", [SessionAction.send(.vrfyCannot)]),
        ("NOOP", [.send(.ok)]),
        ("HELP", [.send(.help)]),
        ("QUIT", [.send(.closing), .close]),
    ])
    func simpleCommands(line: String, expected: [SessionAction]) {
        var harness = SessionHarness()
        #expect(harness.line(line) == expected)
    }

    @Test func expnIsNotImplemented() {
        var harness = SessionHarness()
        let reply = replies(harness.line("EXPN staff")).first
        #expect(reply?.code == 502)
        #expect(reply?.enhanced == EnhancedStatusCode(5, 5, 1))
    }

    @Test func quitDuringBDATDropsThePartialMessage() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("BDAT 3")
        _ = harness.machine.chunkFinished(.complete)
        #expect(harness.line("QUIT") == [.abortMessage, .send(.closing), .close])
        #expect(harness.machine.isClosed)
        #expect(harness.line("NOOP") == [])
    }

    // MARK: Errors and limits

    @Test func errorLimitClosesTheSession() {
        var harness = SessionHarness(maxErrors: 3)
        #expect(harness.line("FOO") == [.send(.unrecognizedCommand)])
        #expect(harness.line("MAIL FROM:<a@example.net>") == [.send(.heloFirst)])
        #expect(harness.line("BAR") == [.send(.unrecognizedCommand), .send(.tooManyErrors), .close])
        #expect(harness.machine.isClosed)
        #expect(harness.line("EHLO x") == [])
        #expect(harness.machine.timedOut() == [])
    }

    @Test func lineProblemsCountAsErrors() {
        var harness = SessionHarness(maxErrors: 2)
        #expect(harness.machine.lineTooLong() == [.send(.lineTooLong)])
        #expect(harness.machine.bareLineEnding() == [.send(.bareLineEndingInCommand), .send(.tooManyErrors), .close])
    }

    @Test func lineProblemEndsAnAuthExchange() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.line("EHLO x")
        harness.line("AUTH LOGIN")
        #expect(harness.machine.lineTooLong() == [.send(.lineTooLong)])
        #expect(!harness.machine.isInAuthExchange)
    }

    @Test func policyRefusalsCount() {
        var harness = SessionHarness(maxErrors: 2)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.line("RCPT TO:<a@example.org>")
        #expect(harness.machine.recipientChecked(.failure(.relayDenied)) == [.send(.relayDenied)])
        harness.line("RCPT TO:<b@example.org>")
        #expect(harness.machine.recipientChecked(.failure(.relayDenied)) ==
                [.send(.relayDenied), .send(.tooManyErrors), .close])
    }

    @Test func transientRefusalsDoNotCount() {
        var harness = SessionHarness(maxErrors: 1)
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.line("RCPT TO:<a@alato.example>")
        #expect(harness.machine.recipientChecked(.failure(.localError(sessionID: "s1"))) == [.send(.localError(sessionID: "s1"))])
        #expect(!harness.machine.isClosed)
    }

    @Test func timeout() {
        var harness = SessionHarness()
        #expect(harness.machine.timedOut() == [.send(.timeout), .close])
        #expect(harness.machine.isClosed)
    }

    @Test func timeoutDuringDataDropsTheMessage() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.acceptedMail()
        harness.acceptedRcpt()
        harness.line("DATA")
        #expect(harness.machine.timedOut() == [.abortMessage, .send(.timeout), .close])
        // A late completion from the driver is ignored once closed.
        #expect(harness.machine.dataFinished(.complete(size: 1)) == [])
    }

    @Test func timeoutWhileWaitingForADecision() {
        var harness = SessionHarness()
        harness.line("EHLO x")
        harness.line("MAIL FROM:<a@example.net>")
        #expect(harness.machine.timedOut() == [.send(.timeout), .close])
        #expect(harness.machine.senderChecked(.success(())) == [])
    }

    @Test func receivedKeywordAndSingleRecipient() {
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true)
        harness.greetAndAuthenticate()
        harness.acceptedMail("MAIL FROM:<user@alato.example> SMTPUTF8")
        harness.acceptedRcpt()
        #expect(harness.machine.protocolKeyword == .utf8smtpsa)
        #expect(harness.machine.singleRecipient == .mailbox(Mailbox(localPart: "friend", domain: .name("example.net"))))
        harness.acceptedRcpt("RCPT TO:<other@example.net>")
        #expect(harness.machine.singleRecipient == nil)
    }

    /// The driver contract: lines while a decision is pending are a programming error.
    @Test func lineWhileWaitingTraps() async {
        await #expect(processExitsWith: .failure) {
            var harness = SessionHarness()
            harness.line("EHLO x")
            harness.line("MAIL FROM:<a@example.net>")
            harness.line("RCPT TO:<b@alato.example>")
        }
    }
}
