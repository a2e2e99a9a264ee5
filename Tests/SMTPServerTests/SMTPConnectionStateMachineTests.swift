@testable import SMTPServer
import SMTPCore
import ServerSupport
import Testing

/// The session handler's connection state, driven with no channel.
@Suite struct SMTPConnectionStateMachineTests {
    /// A connection admitted and greeted, reading commands.
    private func reading() -> SMTPConnectionStateMachine {
        var state = SMTPConnectionStateMachine()
        _ = state.opened(.accepted)
        _ = state.decisionRequested()
        _ = state.decisionCompleted()
        return state
    }

    @Test func anAcceptedConnectionWaitsForAdmissionWithInputHeld() {
        var state = SMTPConnectionStateMachine()
        #expect(state.opened(.accepted) == [.admit])
        #expect(state.decisionRequested() == [.flush])
        #expect(!state.mayReadInput)
        // Input that arrives meanwhile is kept, not read.
        #expect(state.received() == [.bufferInput, .armTimeout, .readInput])
        #expect(!state.mayReadInput)
        #expect(state.decisionCompleted() == [.completeDecision, .readInput])
        #expect(state.mayReadInput)
    }

    /// RFC 5321 §3.1: over a connection limit the client gets 421 before anything else.
    @Test(arguments: [ConnectionLimiter.Verdict.tooManyConnections, .tooManyFromClient])
    func overTheLimitIs421AndClose(verdict: ConnectionLimiter.Verdict) {
        var state = SMTPConnectionStateMachine()
        #expect(state.opened(verdict) == [.send(.tooManyConnections), .cancelTimers, .close])
        #expect(state.phase == .closed)
        #expect(state.received() == [])
        // The slot was never taken, so none is given back.
        #expect(state.closed() == [.cancelTimers, .abortMessage])
    }

    @Test func closingGivesTheSlotBackOnce() {
        var state = reading()
        #expect(state.closed() == [.cancelTimers, .abortMessage, .releaseSlot])
        #expect(state.closed() == [.cancelTimers, .abortMessage])
    }

    @Test func aDecisionCompletingAfterCloseIsDropped() {
        var state = reading()
        _ = state.decisionRequested()
        #expect(state.closeRequested() == [.cancelTimers, .close])
        #expect(state.decisionCompleted() == [])
        #expect(state.closeRequested() == [])
        #expect(state.timeoutFired() == [])
    }

    @Test func greetPauseEndsInSilenceOrWhenTheClientTalks() {
        var silent = reading()
        #expect(silent.greetPauseRequested(.seconds(3)) == [.scheduleGreetPause(.seconds(3))])
        #expect(silent.mayReadInput)          // octets are looked at, to catch a client talking first
        #expect(silent.greetPauseTimerFired() == [.greetPauseElapsed, .readInput])
        #expect(silent.greetPauseTimerFired() == [])

        var early = reading()
        _ = early.greetPauseRequested(.seconds(3))
        #expect(early.received() == [.bufferInput, .armTimeout, .readInput])
        #expect(early.inputDuringGreetPause() == [.cancelGreetPause, .clientTalkedFirst])
        #expect(early.greetPauseTimerFired() == [])
    }

    /// RFC 3207 §4.2: nothing is read during the handshake, and what was buffered is dropped.
    @Test func startTLSHoldsInputUntilTheHandshake() {
        var state = reading()
        #expect(state.startTLSRequested() == [.flush, .beginHandshake])
        #expect(!state.mayReadInput)
        #expect(state.received() == [])
        #expect(state.handshakeCompleted() == [.tlsEstablished, .readInput])
        #expect(state.mayReadInput)
        // Implicit TLS: a handshake nobody asked for through STARTTLS changes nothing.
        #expect(state.handshakeCompleted() == [])
    }

    @Test func shutdownClosesAnIdleSessionWith421() {
        var state = reading()
        #expect(state.shutdownRequested(atCommandLine: true, transactionOpen: false)
                == [.send(.shuttingDown), .cancelTimers, .close])
        #expect(state.phase == .closed)
    }

    /// A session in the middle of a transaction is let finish, then closed between transactions.
    @Test(arguments: [(true, true, false), (false, false, false), (true, false, true)])
    func shutdownGivesGraceMidTransaction(atCommandLine: Bool, transactionOpen: Bool, awaiting: Bool) {
        var state = reading()
        if awaiting { _ = state.decisionRequested() }
        #expect(state.shutdownRequested(atCommandLine: atCommandLine, transactionOpen: transactionOpen) == [])
        #expect(state.phase == .reading)
        if awaiting { _ = state.decisionCompleted() }
        #expect(state.inputProcessed(buffered: 0, atCommandLine: true, transactionOpen: false)
                == [.send(.shuttingDown), .cancelTimers, .close])
    }

    @Test func timeoutIsReportedUntilClosed() {
        var state = reading()
        #expect(state.timeoutFired() == [.timedOut, .flush])
        _ = state.closeRequested()
        #expect(state.timeoutFired() == [])
    }

    /// A client that pipelines without reading replies: reading stops over 256 KiB buffered
    /// and resumes once half of it is handled.
    @Test func backPressure() {
        var state = reading()
        let limit = SMTPConnectionStateMachine.maxBufferedInput
        #expect(state.inputProcessed(buffered: limit, atCommandLine: true, transactionOpen: false) == [.flush])
        #expect(state.inputProcessed(buffered: limit + 1, atCommandLine: true, transactionOpen: false) == [.pauseReading, .flush])
        #expect(state.inputProcessed(buffered: limit + 1, atCommandLine: true, transactionOpen: false) == [.flush])
        #expect(state.inputProcessed(buffered: limit / 2 + 1, atCommandLine: true, transactionOpen: false) == [.flush])
        #expect(state.inputProcessed(buffered: limit / 2, atCommandLine: true, transactionOpen: false) == [.resumeReading, .flush])
    }
}
