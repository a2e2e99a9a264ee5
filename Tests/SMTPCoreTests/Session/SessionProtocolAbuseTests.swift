import Testing
@testable import SMTPCore

/// The rules against clients that do not wait for the server: talking before the greeting
/// (`greetPause`), message content before the 354, and forbidden octets in BDAT chunks.
@Suite struct SessionProtocolAbuseTests {
    // MARK: Greeting pause (RFC 5321 §3.1, postscreen's pregreet test)

    @Test func greetPauseDelaysTheGreeting() {
        var harness = SessionHarness(greetPause: .milliseconds(300), start: false)
        #expect(harness.machine.start() == [.pauseGreeting(.milliseconds(300))])
        #expect(!harness.machine.expectsLine)
        #expect(harness.machine.greetPauseElapsed() == [.send(.serviceReady(SessionHarness.hostname))])
        #expect(harness.machine.expectsLine)
        #expect(codes(harness.line("EHLO client.example.net")) == [250])
    }

    @Test func clientThatTalksDuringThePauseIsRefusedAndClosed() {
        var harness = SessionHarness(greetPause: .milliseconds(300), start: false)
        _ = harness.machine.start()
        #expect(harness.machine.clientTalkedFirst() == [.send(.talkedBeforeGreeting), .close])
        #expect(harness.machine.isClosed)
        // The timer may still fire once the session is closed: nothing more happens.
        #expect(harness.machine.greetPauseElapsed() == [])
        #expect(Reply.talkedBeforeGreeting.code == 554)
        #expect(Reply.talkedBeforeGreeting.enhanced == .init(5, 5, 0))
    }

    @Test func timeoutDuringThePauseCloses() {
        var harness = SessionHarness(greetPause: .seconds(5), start: false)
        _ = harness.machine.start()
        #expect(harness.machine.timedOut() == [.send(.timeout), .close])
    }

    @Test func noPauseGreetsAtOnce() {
        var harness = SessionHarness(start: false)
        #expect(harness.machine.start() == [.send(.serviceReady(SessionHarness.hostname))])
    }

    // MARK: Content before the 354 (RFC 2920 §3.1, Postfix's smtpd_forbid_unauth_pipelining)

    private func relayTransaction() -> SessionHarness {
        var harness = SessionHarness()
        harness.line("EHLO client.example.net")
        harness.acceptedMail("MAIL FROM:<a@example.net>")
        harness.acceptedRcpt("RCPT TO:<b@alato.example>")
        return harness
    }

    @Test func contentBeforeThe354IsRefusedAndNothingIsQueued() {
        var harness = relayTransaction()
        #expect(harness.line("DATA", moreInputBuffered: true) == [.send(.pipeliningViolation), .close])
        #expect(harness.machine.isClosed)
        #expect(!harness.machine.hasTransaction)
        #expect(Reply.pipeliningViolation.code == 554)
        #expect(Reply.pipeliningViolation.enhanced == .init(5, 5, 0))
    }

    @Test func dataLastInItsGroupGets354() {
        var harness = relayTransaction()
        let actions = harness.line("DATA", moreInputBuffered: false)
        #expect(replies(actions) == [.startData])
        #expect(receivedEnvelope(actions) != nil)
    }

    /// RFC 2920: MAIL, RCPT and DATA may be sent together; buffered input behind them is fine.
    @Test func pipelinedCommandsBeforeDATAAreFine() {
        var harness = SessionHarness()
        #expect(codes(harness.line("EHLO client.example.net", moreInputBuffered: true)) == [250])
        guard case .checkSender? = harness.line("MAIL FROM:<a@example.net>", moreInputBuffered: true).first else {
            Issue.record("pipelined MAIL was not checked")
            return
        }
        _ = harness.machine.senderChecked(.success(()))
        guard case .checkRecipient? = harness.line("RCPT TO:<b@alato.example>", moreInputBuffered: true).first else {
            Issue.record("pipelined RCPT was not checked")
            return
        }
        _ = harness.machine.recipientChecked(.success(()))
        #expect(replies(harness.line("DATA")) == [.startData])
    }

    @Test func commandsAfterRSETOrQUITAreFine() {
        var harness = relayTransaction()
        #expect(harness.line("RSET", moreInputBuffered: true) == [.send(.ok)])
        #expect(harness.line("NOOP", moreInputBuffered: true) == [.send(.ok)])
        #expect(harness.line("QUIT", moreInputBuffered: true) == [.send(.closing), .close])
    }

    @Test func authenticatedSessionsMayPipelineContent() {
        var harness = SessionHarness(service: .submission, tlsActive: true)
        harness.greetAndAuthenticate()
        harness.acceptedMail()
        harness.acceptedRcpt()
        let actions = harness.line("DATA", moreInputBuffered: true)
        #expect(replies(actions) == [.startData])
        #expect(!harness.machine.isClosed)
    }

    /// DATA must end its group whatever its own fate: content behind a DATA that would be
    /// refused (no recipient) would otherwise run as commands.
    @Test func refusedDATAWithContentBehindItStillCloses() {
        var harness = SessionHarness()
        harness.line("EHLO client.example.net")
        harness.acceptedMail("MAIL FROM:<a@example.net>")
        #expect(harness.line("DATA", moreInputBuffered: true) == [.send(.pipeliningViolation), .close])
    }

    /// BDAT carries its chunk right behind the command by design (RFC 3030 §2, §4.2).
    @Test func bdatMayBePipelined() {
        var harness = relayTransaction()
        guard case .receiveChunk(5, true, _)? = harness.line("BDAT 5 LAST", moreInputBuffered: true).first else {
            Issue.record("BDAT was not accepted")
            return
        }
    }

    // MARK: Forbidden octets in BDAT chunks

    @Test func nulInALastChunkRefusesTheMessage() {
        var harness = relayTransaction()
        harness.line("BDAT 5 LAST")
        #expect(harness.machine.chunkFinished(.forbiddenContent(.nul)) == [.abortMessage, .send(.nulInMessage)])
        #expect(!harness.machine.hasTransaction)
        #expect(codes(harness.line("RSET")) == [250])
    }

    @Test func nulInAnEarlierChunkIsRefusedAtLAST() {
        var harness = relayTransaction()
        harness.line("BDAT 5")
        #expect(harness.machine.chunkFinished(.forbiddenContent(.nul)) == [.send(.chunkReceived(5))])
        harness.line("BDAT 3")
        #expect(harness.machine.chunkFinished(.complete) == [.send(.chunkReceived(3))])
        harness.line("BDAT 2 LAST")
        #expect(harness.machine.chunkFinished(.complete) == [.abortMessage, .send(.nulInMessage)])
        #expect(!harness.machine.hasTransaction)
    }

    @Test func nulInAChunkIsForgottenByRSET() {
        var harness = relayTransaction()
        harness.line("BDAT 5")
        _ = harness.machine.chunkFinished(.forbiddenContent(.nul))
        #expect(harness.line("RSET") == [.abortMessage, .send(.ok)])
        harness.acceptedMail("MAIL FROM:<a@example.net>")
        harness.acceptedRcpt("RCPT TO:<b@alato.example>")
        harness.line("BDAT 5 LAST")
        guard case .queueMessage? = harness.machine.chunkFinished(.complete).first else {
            Issue.record("a clean message after RSET was not queued")
            return
        }
    }
}
