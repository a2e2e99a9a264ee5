import SMTPCore
import ServerSupport

/// The connection around one SMTP session, beside the protocol's `SessionStateMachine`:
/// whether input is read or held (greet_pause, a pending decision, a TLS handshake), graceful
/// shutdown, reading paused for back-pressure, and the connection slot.
///
/// One mutating function per event, each returning the actions the `SMTPSessionHandler` must
/// perform in order; the handler keeps none of these flags itself. Nothing here does I/O, so the
/// transitions are tested with no channel.
///
/// Phases:
/// - `.reading`: input is framed and handed to the session (unless a decision is pending:
///   then it stays buffered, and pipelined commands, RFC 2920, run in order afterwards);
/// - `.greetPause`: the greeting is held back (`[smtp] greet_pause`); the first octet from the
///   client ends the session as a client that talked first;
/// - `.handshake`: STARTTLS in progress; nothing is read as SMTP until it completes;
/// - `.closed`: nothing more is read, decisions that complete are dropped.
struct SMTPConnectionStateMachine: Sendable {
    enum Phase: Sendable, Equatable {
        case reading
        case greetPause
        case handshake
        case closed
    }

    enum Action: Sendable, Equatable {
        /// Start the command timeout and ask whether the client may be greeted.
        case admit
        /// Write a reply of the connection's own (not the session's).
        case send(Reply)
        /// Cancel the timeout and the greet-pause timer.
        case cancelTimers
        /// Cancel the greet-pause timer.
        case cancelGreetPause
        /// Drop the message being received, if any.
        case abortMessage
        /// Give the connection slot back to the limiter.
        case releaseSlot
        /// Keep the octets just received, after those already buffered.
        case bufferInput
        /// Re-arm the timeout for the current input phase.
        case armTimeout
        /// Run the input loop: frame buffered input while `mayReadInput`.
        case readInput
        /// Start the greet-pause timer.
        case scheduleGreetPause(Duration)
        /// Tell the session the greet pause elapsed in silence.
        case greetPauseElapsed
        /// Drop the client's input and tell the session the client talked first.
        case clientTalkedFirst
        /// Write what is pending.
        case flush
        /// Drop buffered input (RFC 3207 §4.2: sent in cleartext before the handshake) and put
        /// the TLS handler in front.
        case beginHandshake
        /// Tell the session TLS is established.
        case tlsEstablished
        /// Hand the completed decision to the session.
        case completeDecision
        /// Tell the session the client was idle too long.
        case timedOut
        /// Close the channel after writing what is pending.
        case close
        /// Stop or resume reading from the socket (back-pressure on a client that pipelines
        /// without reading replies).
        case pauseReading
        case resumeReading
    }

    /// Input kept while the session waits, before reading from the socket stops.
    static let maxBufferedInput = 256 * 1024

    private(set) var phase: Phase = .reading
    /// A decision (admission, credentials, sender, recipient, commit) is pending.
    private(set) var awaitingDecision = false
    private(set) var shuttingDown = false
    private(set) var holdsSlot = false
    private(set) var backPressure = InputBackPressure(limit: Self.maxBufferedInput)

    /// True when the input loop may take the next event.
    var mayReadInput: Bool {
        !awaitingDecision && (phase == .reading || phase == .greetPause)
    }

    // MARK: Connection

    /// The channel became active; `verdict` is the connection limiter's.
    mutating func opened(_ verdict: ConnectionLimiter.Verdict) -> [Action] {
        switch verdict {
        case .accepted:
            holdsSlot = true
            return [.admit]
        case .tooManyConnections, .tooManyFromClient:
            // RFC 5321 §3.1: a server may refuse service with 421 at connection time.
            phase = .closed
            return [.send(.tooManyConnections), .cancelTimers, .close]
        }
    }

    /// The channel went inactive.
    mutating func closed() -> [Action] {
        phase = .closed
        var actions: [Action] = [.cancelTimers, .abortMessage]
        if holdsSlot {
            holdsSlot = false
            actions.append(.releaseSlot)
        }
        return actions
    }

    /// The handler closes the connection (the session asked, or an error).
    mutating func closeRequested() -> [Action] {
        guard phase != .closed else { return [] }
        phase = .closed
        return [.cancelTimers, .close]
    }

    /// Admission refused: the refusal is written before the channel closes.
    mutating func admissionRefused() -> [Action] {
        phase = .closed
        return [.cancelTimers]
    }

    // MARK: Input

    /// Octets arrived: kept and read, unless closed or in a handshake (then they are dropped).
    mutating func received() -> [Action] {
        switch phase {
        case .closed, .handshake:
            return []
        case .reading, .greetPause:
            return [.bufferInput, .armTimeout, .readInput]
        }
    }

    /// The input loop found octets while the greeting is paused.
    mutating func inputDuringGreetPause() -> [Action] {
        guard phase == .greetPause else { return [] }
        phase = .reading
        return [.cancelGreetPause, .clientTalkedFirst]
    }

    /// The input loop stopped: the framer holds `buffered` octets; `atCommandLine` when it is
    /// between commands; `transactionOpen` from the session.
    mutating func inputProcessed(buffered: Int, atCommandLine: Bool, transactionOpen: Bool) -> [Action] {
        if isIdleForShutdown(atCommandLine: atCommandLine, transactionOpen: transactionOpen) {
            return closeForShutdown()
        }
        var actions: [Action] = []
        switch backPressure.inputProcessed(buffered: buffered) {
        case .pauseReading: actions.append(.pauseReading)
        case .resumeReading: actions.append(.resumeReading)
        case nil: break
        }
        return actions + [.flush]
    }

    // MARK: Greeting

    /// The session holds the greeting back.
    mutating func greetPauseRequested(_ duration: Duration) -> [Action] {
        guard phase == .reading else { return [] }
        phase = .greetPause
        return [.scheduleGreetPause(duration)]
    }

    /// The greet-pause timer fired.
    mutating func greetPauseTimerFired() -> [Action] {
        guard phase == .greetPause else { return [] }
        phase = .reading
        return [.greetPauseElapsed, .readInput]
    }

    // MARK: Decisions

    /// The session asked for a decision that may complete later.
    mutating func decisionRequested() -> [Action] {
        awaitingDecision = true
        return [.flush]
    }

    /// A decision completed; dropped when the connection is closed meanwhile.
    mutating func decisionCompleted() -> [Action] {
        guard phase != .closed else { return [] }
        awaitingDecision = false
        return [.completeDecision, .readInput]
    }

    // MARK: TLS

    /// The session accepted STARTTLS and its 220 is queued.
    mutating func startTLSRequested() -> [Action] {
        guard phase == .reading else { return [] }
        phase = .handshake
        return [.flush, .beginHandshake]
    }

    /// The TLS handshake completed (after STARTTLS, or on an implicit-TLS port).
    mutating func handshakeCompleted() -> [Action] {
        guard phase == .handshake else { return [] }
        phase = .reading
        return [.tlsEstablished, .readInput]
    }

    // MARK: Timeout and shutdown

    mutating func timeoutFired() -> [Action] {
        guard phase != .closed else { return [] }
        return [.timedOut, .flush]
    }

    /// Graceful shutdown: a session between transactions is told 421 and closed; one in the
    /// middle of a transaction (DATA streaming, commit pending) is let finish first, and
    /// closed when it is back between transactions.
    mutating func shutdownRequested(atCommandLine: Bool, transactionOpen: Bool) -> [Action] {
        shuttingDown = true
        guard isIdleForShutdown(atCommandLine: atCommandLine, transactionOpen: transactionOpen) else { return [] }
        return closeForShutdown()
    }

    private mutating func closeForShutdown() -> [Action] {
        phase = .closed
        return [.send(.shuttingDown), .cancelTimers, .close]
    }

    private func isIdleForShutdown(atCommandLine: Bool, transactionOpen: Bool) -> Bool {
        shuttingDown && phase == .reading && !awaitingDecision && atCommandLine && !transactionOpen
    }
}
