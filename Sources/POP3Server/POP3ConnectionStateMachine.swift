import POP3Core
import ServerSupport

/// The connection around one POP3 session, beside the protocol's ``POP3SessionStateMachine``:
/// admission (the connection limits, then the abuse controls before the greeting), whether
/// input is read or held (an action pending, the STLS handshake), graceful shutdown, reading
/// paused for back-pressure, and the connection slot.
///
/// One mutating function per event, each returning the actions the ``POP3SessionHandler``
/// performs in order; nothing here does I/O, so the transitions are tested with no channel.
///
/// Phases:
/// - `.admitting`: the abuse controls decide; input that arrives is kept, not read;
/// - `.reading`: input is framed and handed to the session, unless an action is pending (then
///   it stays buffered, and pipelined commands, RFC 2449 §6.6, run in order afterwards);
/// - `.handshake`: STLS accepted; nothing is read as POP3 until the handshake completes;
/// - `.closed`: nothing more is read; results that complete are dropped.
struct POP3ConnectionStateMachine: Sendable {
    enum Phase: Sendable, Equatable {
        case admitting
        case reading
        case handshake
        case closed
    }

    enum Action: Sendable, Equatable {
        /// Start the idle timer and ask the abuse controls whether to greet.
        case admit
        /// Tell the session to greet.
        case greet
        /// Write this refusal, then close once it is written.
        case refuse(POP3Response)
        /// Keep the octets just received after those already buffered.
        case bufferInput
        /// Re-arm the idle timer (RFC 1939 §3 autologout).
        case armTimeout
        case cancelTimeout
        /// Run the input loop: frame buffered input while `mayReadInput`.
        case readInput
        /// Write what is pending.
        case flush
        /// Drop buffered input (RFC 2595 §4: sent in cleartext before the handshake) and put
        /// the TLS handler in front.
        case beginHandshake
        /// Tell the session TLS is established.
        case tlsEstablished
        /// Hand the completed result to the session.
        case completeAction
        /// Tell the session the autologout timer expired.
        case timedOut
        /// Tell the session the server is stopping.
        case shutDownSession
        /// Close the channel after writing what is pending.
        case close
        /// Give the connection slot back and the maildrop lock, if held.
        case release
        /// Stop or resume reading from the socket (a client that pipelines without reading).
        case pauseReading
        case resumeReading
    }

    /// Input kept while the session waits, before reading from the socket stops.
    static let maxBufferedInput = 64 * 1024

    private(set) var phase: Phase = .admitting
    /// An action's result (admission, credentials, the maildrop, a retrieval, the UPDATE) is awaited.
    private(set) var awaiting = false
    private(set) var shuttingDown = false
    private(set) var holdsSlot = false
    private(set) var backPressure = InputBackPressure(limit: Self.maxBufferedInput)

    /// True when the input loop may take the next line.
    var mayReadInput: Bool { phase == .reading && !awaiting }

    // MARK: Connection

    /// The channel became active; `verdict` is the connection limiter's.
    mutating func opened(_ verdict: ConnectionLimiter.Verdict) -> [Action] {
        guard verdict == .accepted else {
            phase = .closed
            return [.refuse(.tooManyConnections)]
        }
        holdsSlot = true
        awaiting = true
        return [.armTimeout, .admit]
    }

    /// The abuse controls answered: nil greets.
    mutating func admitted(refusal: POP3Response?) -> [Action] {
        guard phase == .admitting else { return [] }
        awaiting = false
        if let refusal {
            phase = .closed
            return [.cancelTimeout, .refuse(refusal)]
        }
        phase = .reading
        return [.greet, .readInput]
    }

    /// The channel went inactive.
    mutating func closed() -> [Action] {
        phase = .closed
        guard holdsSlot else { return [.cancelTimeout] }
        holdsSlot = false
        return [.cancelTimeout, .release]
    }

    /// The handler closes the connection (the session asked, or an error).
    mutating func closeRequested() -> [Action] {
        guard phase != .closed else { return [] }
        phase = .closed
        return [.cancelTimeout, .flush, .close]
    }

    // MARK: Input

    /// Octets arrived: kept and read, unless closed or in the handshake (then the TLS handler
    /// is in front and nothing reaches here but what it decrypted after it).
    mutating func received() -> [Action] {
        switch phase {
        case .closed, .handshake: return []
        case .admitting: return [.bufferInput, .armTimeout]
        case .reading: return [.bufferInput, .armTimeout, .readInput]
        }
    }

    /// The input loop stopped with `buffered` octets left in the framer.
    mutating func inputProcessed(buffered: Int) -> [Action] {
        // The session answers with its `.close`, which comes back as `closeRequested`.
        if shuttingDown, mayReadInput { return [.shutDownSession] }
        var actions: [Action] = []
        switch backPressure.inputProcessed(buffered: buffered) {
        case .pauseReading: actions.append(.pauseReading)
        case .resumeReading: actions.append(.resumeReading)
        case nil: break
        }
        return actions + [.flush]
    }

    // MARK: Actions of the session

    /// The session asked for something that completes later.
    mutating func actionRequested() -> [Action] {
        awaiting = true
        return [.flush]
    }

    /// It completed; dropped when the connection closed meanwhile.
    mutating func actionCompleted() -> [Action] {
        guard phase != .closed else { return [] }
        awaiting = false
        return [.completeAction, .readInput]
    }

    /// The session accepted STLS and its `+OK` is queued.
    mutating func startTLSRequested() -> [Action] {
        guard phase == .reading else { return [] }
        phase = .handshake
        return [.flush, .beginHandshake]
    }

    /// The TLS handshake after STLS completed.
    mutating func handshakeCompleted() -> [Action] {
        guard phase == .handshake else { return [] }
        phase = .reading
        return [.tlsEstablished, .readInput]
    }

    // MARK: Timeout and shutdown

    mutating func timeoutFired() -> [Action] {
        guard phase != .closed else { return [] }
        if phase == .admitting {
            phase = .closed
            return [.close]
        }
        return [.timedOut, .flush]
    }

    /// Graceful shutdown: an idle session is told and closed now; one waiting for a result
    /// (a RETR being written, the UPDATE) when it is done.
    mutating func shutdownRequested() -> [Action] {
        shuttingDown = true
        return mayReadInput ? [.shutDownSession] : []
    }
}
