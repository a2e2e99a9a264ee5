import POP3Core
@testable import POP3Server
import Testing

@Suite("POP3 connection state machine")
struct POP3ConnectionStateMachineTests {
    private func admittedConnection() -> POP3ConnectionStateMachine {
        var connection = POP3ConnectionStateMachine()
        _ = connection.opened(.accepted)
        _ = connection.admitted(refusal: nil)
        return connection
    }

    @Test("Over the connection limits: refused with [SYS/TEMP] before the greeting, no slot held")
    func overLimit() {
        var connection = POP3ConnectionStateMachine()
        #expect(connection.opened(.tooManyFromClient) == [.refuse(.tooManyConnections)])
        #expect(connection.closed() == [.cancelTimeout])
    }

    @Test("Admission: input is kept but not read until the abuse controls answer")
    func admission() {
        var connection = POP3ConnectionStateMachine()
        #expect(connection.opened(.accepted) == [.armTimeout, .admit])
        #expect(connection.received() == [.bufferInput, .armTimeout])
        #expect(!connection.mayReadInput)
        #expect(connection.admitted(refusal: nil) == [.greet, .readInput])
        #expect(connection.mayReadInput)
        #expect(connection.closed() == [.cancelTimeout, .release])
    }

    @Test("A refused admission writes the refusal and closes; the slot is released at close")
    func refusedAdmission() {
        var connection = POP3ConnectionStateMachine()
        _ = connection.opened(.accepted)
        let refusal = POP3Response.connectionRefused("Too many failed logins")
        #expect(connection.admitted(refusal: refusal) == [.cancelTimeout, .refuse(refusal)])
        #expect(connection.received() == [])
        #expect(connection.closed() == [.cancelTimeout, .release])
    }

    @Test("While an action is pending, input stays buffered; its completion reads on")
    func pendingAction() {
        var connection = admittedConnection()
        #expect(connection.actionRequested() == [.flush])
        #expect(!connection.mayReadInput)
        #expect(connection.received() == [.bufferInput, .armTimeout, .readInput])
        #expect(connection.actionCompleted() == [.completeAction, .readInput])
        #expect(connection.mayReadInput)
    }

    @Test("STLS: nothing is read during the handshake; afterwards the session is told")
    func handshake() {
        var connection = admittedConnection()
        #expect(connection.startTLSRequested() == [.flush, .beginHandshake])
        #expect(connection.received() == [])
        #expect(!connection.mayReadInput)
        #expect(connection.handshakeCompleted() == [.tlsEstablished, .readInput])
        // On the implicit-TLS service the handshake event changes nothing.
        #expect(connection.handshakeCompleted() == [])
    }

    @Test("Back-pressure: reading pauses past 64 KiB buffered and resumes below half")
    func backPressure() {
        var connection = admittedConnection()
        #expect(connection.inputProcessed(buffered: 70_000) == [.pauseReading, .flush])
        #expect(connection.inputProcessed(buffered: 40_000) == [.flush])
        #expect(connection.inputProcessed(buffered: 100) == [.resumeReading, .flush])
    }

    @Test("Shutdown: an idle session is told at once, a busy one when its action completes")
    func shutdown() {
        var idle = admittedConnection()
        #expect(idle.shutdownRequested() == [.shutDownSession])

        var busy = admittedConnection()
        _ = busy.actionRequested()
        #expect(busy.shutdownRequested() == [])
        _ = busy.actionCompleted()
        #expect(busy.inputProcessed(buffered: 0) == [.shutDownSession])
        #expect(busy.closeRequested() == [.cancelTimeout, .flush, .close])
        #expect(busy.actionCompleted() == [])
    }

    @Test("The idle timer: the session is told; before admission the connection just closes")
    func timeout() {
        var connection = admittedConnection()
        #expect(connection.timeoutFired() == [.timedOut, .flush])
        var admitting = POP3ConnectionStateMachine()
        _ = admitting.opened(.accepted)
        #expect(admitting.timeoutFired() == [.close])
        #expect(admitting.timeoutFired() == [])
    }
}
