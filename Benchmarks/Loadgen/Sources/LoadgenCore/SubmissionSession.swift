/// One authenticated submission session of the load, as a state machine with no I/O: events in
/// (a reply, the start signal, a pacing timer, the end of a message write), an `Action` out for
/// the channel handler to perform. Times are monotonic nanoseconds supplied by the caller.
///
///     S: 220 banner                       C: EHLO, STARTTLS (RFC 3207), EHLO again, AUTH PLAIN
///     … ready: wait until every session is, then `go` …
///     C: MAIL FROM / RCPT TO / DATA       (one write when the server offers PIPELINING, RFC 2920)
///     S: 250, 250, 354   C: message, "."  S: 250   (latency: from the "." written to this 250)
///     … `messages` times, paced or not …  C: QUIT   S: 221
///
/// Any reply other than the expected one fails the session, as in portbench/submission.py.
public struct SubmissionSession: Sendable {
    public struct Configuration: Sendable {
        /// This session's number among all sessions: with pacing, its place in each round.
        public var slot: Int
        public var sessions: Int
        public var messages: Int
        /// Messages per second over all sessions; 0 sends as fast as the server answers.
        public var rate: Double
        public var helo: String
        public var user: String
        public var password: String
        public var sender: String
        public var recipient: String

        public init(slot: Int, sessions: Int, messages: Int, rate: Double, helo: String, user: String,
                    password: String, sender: String, recipient: String) {
            self.slot = slot
            self.sessions = sessions
            self.messages = messages
            self.rate = rate
            self.helo = helo
            self.user = user
            self.password = password
            self.sender = sender
            self.recipient = recipient
        }
    }

    public enum Action: Equatable, Sendable {
        case none
        case send(Command)
        /// The server said 220 to STARTTLS: start the TLS client (dropping any clear-text bytes
        /// that followed the reply, RFC 3207 §4.2), then send the command through it.
        case startTLS(thenSend: Command)
        /// Authenticated: the session waits for `go`.
        case ready
        /// Write message `index` with its final "." and report `messageWritten(at:)`.
        case sendMessage(index: Int)
        /// Open-loop pacing: call `timerFired(now:)` at this time.
        case wait(until: UInt64)
        /// QUIT was answered: close the connection.
        case close
        /// Record the error and close; the session sends nothing more.
        case fail(String)
    }

    private enum State: Equatable {
        case awaitingBanner
        case awaitingGreeting
        case awaitingStartTLS
        case awaitingSecureGreeting
        case awaitingAuthentication
        case ready
        case pacing(index: Int)
        /// `step` 0, 1, 2: the MAIL, RCPT, DATA replies still to come.
        case awaitingEnvelope(index: Int, step: Int)
        case awaitingEndOfData(index: Int, writtenAt: UInt64?)
        case awaitingQuit
        case finished
        case failed
    }

    private static let envelopeSteps: [(code: Int, what: String)] = [
        (ReplyCode.ok, "MAIL"), (ReplyCode.ok, "RCPT"), (ReplyCode.startMailInput, "DATA"),
    ]

    public let configuration: Configuration
    private var state: State = .awaitingBanner
    private var pipelining = false
    private var startAt: UInt64 = 0
    /// Since when a reply is awaited; nil while the session waits for nothing from the server.
    private var awaitingSince: UInt64?

    /// End-of-data latencies in nanoseconds, in message order.
    public private(set) var latencies: [UInt64] = []
    /// When the last message's 250 arrived: the end of this session's message phase.
    public private(set) var lastMessageAt: UInt64?
    public private(set) var failure: String?

    /// Call once the connection is open; the banner is awaited from `now`.
    public init(configuration: Configuration, connectedAt now: UInt64) {
        self.configuration = configuration
        self.awaitingSince = now
        latencies.reserveCapacity(configuration.messages)
    }

    public var isFinished: Bool { state == .finished }
    public var isFailed: Bool { state == .failed }
    public var isReady: Bool { state == .ready }

    // MARK: Events

    public mutating func received(_ reply: Reply, now: UInt64) -> Action {
        switch state {
        case .awaitingBanner:
            if let failure = expect(reply, ReplyCode.serviceReady, "banner") { return failure }
            return transition(.awaitingGreeting, now, .send(.ehlo(configuration.helo)))
        case .awaitingGreeting:
            if let failure = expect(reply, ReplyCode.ok, "EHLO") { return failure }
            guard reply.lines.contains(where: { $0.dropFirst(4).uppercased().hasPrefix("STARTTLS") }) else {
                return fail("no STARTTLS in EHLO reply")
            }
            return transition(.awaitingStartTLS, now, .send(.startTLS))
        case .awaitingStartTLS:
            if let failure = expect(reply, ReplyCode.serviceReady, "STARTTLS") { return failure }
            return transition(.awaitingSecureGreeting, now, .startTLS(thenSend: .ehlo(configuration.helo)))
        case .awaitingSecureGreeting:
            if let failure = expect(reply, ReplyCode.ok, "EHLO after STARTTLS") { return failure }
            pipelining = reply.ehloKeywords.contains("PIPELINING")
            return transition(.awaitingAuthentication, now,
                         .send(.authPlain(user: configuration.user, password: configuration.password)))
        case .awaitingAuthentication:
            if let failure = expect(reply, ReplyCode.authenticationSucceeded, "AUTH PLAIN") { return failure }
            state = .ready
            awaitingSince = nil
            return .ready
        case .awaitingEnvelope(let index, let step):
            let expected = Self.envelopeSteps[step]
            if let failure = expect(reply, expected.code, expected.what) { return failure }
            if step == 2 {
                state = .awaitingEndOfData(index: index, writtenAt: nil)
                return .sendMessage(index: index)
            }
            state = .awaitingEnvelope(index: index, step: step + 1)
            awaitingSince = now
            if pipelining { return .none }
            return .send(step == 0 ? .rcpt(configuration.recipient) : .data)
        case .awaitingEndOfData(let index, let writtenAt):
            if let failure = expect(reply, ReplyCode.ok, "end of DATA") { return failure }
            latencies.append(now - min(writtenAt ?? now, now))
            lastMessageAt = now
            return nextMessage(index + 1, now: now)
        case .awaitingQuit:
            if let failure = expect(reply, ReplyCode.closing, "QUIT") { return failure }
            state = .finished
            awaitingSince = nil
            return .close
        case .ready, .pacing:
            return fail("unexpected reply \(reply.summary)")
        case .finished, .failed:
            return .none
        }
    }

    /// Every session is ready; the message phase began at `startAt` (the same for all sessions).
    public mutating func go(startAt: UInt64, now: UInt64) -> Action {
        guard state == .ready else { return .none }
        self.startAt = startAt
        return nextMessage(0, now: now)
    }

    public mutating func timerFired(now: UInt64) -> Action {
        guard case .pacing(let index) = state else { return .none }
        return beginMessage(index, now: now)
    }

    /// The message and its final "." are written: its latency counts from here.
    public mutating func messageWritten(at now: UInt64) {
        guard case .awaitingEndOfData(let index, nil) = state else { return }
        state = .awaitingEndOfData(index: index, writtenAt: now)
        awaitingSince = now
    }

    public mutating func connectionClosed() -> Action {
        fail("connection closed by server")
    }

    /// A failure outside the dialogue (TLS, a malformed reply, a write error).
    public mutating func failed(_ description: String) -> Action {
        fail(description)
    }

    /// Fails the session when a reply has been awaited for longer than `limit` nanoseconds.
    public mutating func checkTimeout(now: UInt64, limit: UInt64) -> Action {
        guard let since = awaitingSince, now > since, now - since > limit else { return .none }
        return fail("timed out after \(limit / 1_000_000_000) s waiting for the \(awaitedReply) reply")
    }

    // MARK: Steps

    private mutating func nextMessage(_ index: Int, now: UInt64) -> Action {
        guard index < configuration.messages else {
            return transition(.awaitingQuit, now, .send(.quit))
        }
        if configuration.rate > 0 {
            // Open loop, as submission.py: session `slot` sends message `index` at
            // start + slot/rate + index·sessions/rate; a session that is late sends at once.
            let seconds = (Double(configuration.slot) + Double(index) * Double(configuration.sessions)) / configuration.rate
            let sendAt = startAt + UInt64(seconds * 1e9)
            if sendAt > now {
                state = .pacing(index: index)
                awaitingSince = nil
                return .wait(until: sendAt)
            }
        }
        return beginMessage(index, now: now)
    }

    private mutating func beginMessage(_ index: Int, now: UInt64) -> Action {
        let command: Command = pipelining
            ? .envelope(sender: configuration.sender, recipient: configuration.recipient)
            : .mail(configuration.sender)
        return transition(.awaitingEnvelope(index: index, step: 0), now, .send(command))
    }

    private mutating func transition(_ next: State, _ now: UInt64, _ action: Action) -> Action {
        state = next
        awaitingSince = now
        return action
    }

    /// nil when `reply` has the expected code; else the session fails, with submission.py's words.
    private mutating func expect(_ reply: Reply, _ code: Int, _ what: String) -> Action? {
        reply.code == code ? nil : fail("\(what): expected \(code), got \(reply.summary)")
    }

    private mutating func fail(_ description: String) -> Action {
        switch state {
        case .finished, .failed:
            return .none
        default:
            state = .failed
            awaitingSince = nil
            failure = description
            return .fail(description)
        }
    }

    private var awaitedReply: String {
        switch state {
        case .awaitingBanner: "banner"
        case .awaitingGreeting: "EHLO"
        case .awaitingStartTLS: "STARTTLS"
        case .awaitingSecureGreeting: "EHLO after STARTTLS"
        case .awaitingAuthentication: "AUTH PLAIN"
        case .awaitingEnvelope(_, let step): Self.envelopeSteps[step].what
        case .awaitingEndOfData: "end of DATA"
        case .awaitingQuit: "QUIT"
        case .ready, .pacing, .finished, .failed: "no"
        }
    }
}
