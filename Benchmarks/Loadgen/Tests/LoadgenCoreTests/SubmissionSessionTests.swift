import LoadgenCore
import Testing

@Suite struct SubmissionSessionTests {
    private static let second: UInt64 = 1_000_000_000

    private func configuration(messages: Int = 2, rate: Double = 0, slot: Int = 0, sessions: Int = 1)
        -> SubmissionSession.Configuration
    {
        .init(slot: slot, sessions: sessions, messages: messages, rate: rate, helo: "loadgen.example",
              user: "taro@alato.example", password: "pw", sender: "taro@alato.example", recipient: "r@example.net")
    }

    private func reply(_ code: Int, _ lines: String...) -> Reply {
        Reply(code: code, lines: lines.isEmpty ? ["\(code) ok"] : lines)
    }

    /// Banner to 235, with or without PIPELINING in the second EHLO reply.
    private func authenticated(_ session: inout SubmissionSession, pipelining: Bool) {
        #expect(session.received(reply(220), now: 1) == .send(.ehlo("loadgen.example")))
        #expect(session.received(reply(250, "250-mail.example", "250 STARTTLS"), now: 2) == .send(.startTLS))
        #expect(session.received(reply(220), now: 3) == .startTLS(thenSend: .ehlo("loadgen.example")))
        let ehlo = pipelining ? reply(250, "250-mail.example", "250-PIPELINING", "250 AUTH PLAIN")
                              : reply(250, "250-mail.example", "250 AUTH PLAIN")
        #expect(session.received(ehlo, now: 4) == .send(.authPlain(user: "taro@alato.example", password: "pw")))
        #expect(session.received(reply(235), now: 5) == .ready)
        #expect(session.isReady)
    }

    @Test func pipelinedDialogue() {
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        authenticated(&session, pipelining: true)
        let envelope = Command.envelope(sender: "taro@alato.example", recipient: "r@example.net")
        #expect(session.go(startAt: 10, now: 10) == .send(envelope))
        #expect(session.received(reply(250), now: 11) == .none)
        #expect(session.received(reply(250), now: 11) == .none)
        #expect(session.received(reply(354), now: 12) == .sendMessage(index: 0))
        session.messageWritten(at: 13)
        #expect(session.received(reply(250), now: 20) == .send(envelope))
        #expect(session.received(reply(250), now: 21) == .none)
        #expect(session.received(reply(250), now: 21) == .none)
        #expect(session.received(reply(354), now: 22) == .sendMessage(index: 1))
        session.messageWritten(at: 30)
        #expect(session.received(reply(250), now: 35) == .send(.quit))
        #expect(session.received(reply(221), now: 36) == .close)
        #expect(session.isFinished)
        #expect(session.latencies == [7, 5])
        #expect(session.lastMessageAt == 35)
    }

    @Test func oneCommandAtATimeWithoutPipelining() {
        var session = SubmissionSession(configuration: configuration(messages: 1), connectedAt: 0)
        authenticated(&session, pipelining: false)
        #expect(session.go(startAt: 10, now: 10) == .send(.mail("taro@alato.example")))
        #expect(session.received(reply(250), now: 11) == .send(.rcpt("r@example.net")))
        #expect(session.received(reply(250), now: 12) == .send(.data))
        #expect(session.received(reply(354), now: 13) == .sendMessage(index: 0))
    }

    @Test func noStartTLSFails() {
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        _ = session.received(reply(220), now: 1)
        #expect(session.received(reply(250, "250-mail.example", "250 PIPELINING"), now: 2)
                == .fail("no STARTTLS in EHLO reply"))
        #expect(session.isFailed)
        #expect(session.received(reply(220), now: 3) == .none)
    }

    @Test func rejectionStopsTheSession() {
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        authenticated(&session, pipelining: true)
        _ = session.go(startAt: 10, now: 10)
        #expect(session.received(reply(553, "553 5.7.1 not yours"), now: 11)
                == .fail("MAIL: expected 250, got 553 5.7.1 not yours"))
        #expect(session.received(reply(503), now: 12) == .none)
        #expect(session.failure == "MAIL: expected 250, got 553 5.7.1 not yours")
        #expect(session.latencies.isEmpty)
    }

    @Test func authenticationFailure() {
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        _ = session.received(reply(220), now: 1)
        _ = session.received(reply(250, "250-x", "250 STARTTLS"), now: 2)
        _ = session.received(reply(220), now: 3)
        _ = session.received(reply(250, "250-x", "250 AUTH PLAIN"), now: 4)
        #expect(session.received(reply(535, "535 5.7.8 no"), now: 5) == .fail("AUTH PLAIN: expected 235, got 535 5.7.8 no"))
    }

    @Test func pacingIsOpenLoopWithSlotOffsets() {
        // 4 sessions at 100 messages/s: slot 1 sends at start + 10 ms, +50 ms, +90 ms…
        var session = SubmissionSession(configuration: configuration(messages: 3, rate: 100, slot: 1, sessions: 4),
                                        connectedAt: 0)
        authenticated(&session, pipelining: true)
        let start = 100 * Self.second
        let ms: UInt64 = 1_000_000
        #expect(session.go(startAt: start, now: start) == .wait(until: start + 10 * ms))
        #expect(session.timerFired(now: start + 10 * ms) != .none)
        _ = session.received(reply(250), now: start + 11 * ms)
        _ = session.received(reply(250), now: start + 11 * ms)
        _ = session.received(reply(354), now: start + 11 * ms)
        session.messageWritten(at: start + 12 * ms)
        #expect(session.received(reply(250), now: start + 15 * ms) == .wait(until: start + 50 * ms))
        _ = session.timerFired(now: start + 50 * ms)
        _ = session.received(reply(250), now: start + 51 * ms)
        _ = session.received(reply(250), now: start + 51 * ms)
        _ = session.received(reply(354), now: start + 51 * ms)
        session.messageWritten(at: start + 52 * ms)
        // Late (the 250 came after the third slot's time): the next message goes at once.
        #expect(session.received(reply(250), now: start + 95 * ms)
                == .send(.envelope(sender: "taro@alato.example", recipient: "r@example.net")))
    }

    @Test func replyTimeout() {
        let limit = 60 * Self.second
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        #expect(session.checkTimeout(now: limit, limit: limit) == .none)
        #expect(session.checkTimeout(now: limit + 1, limit: limit) == .fail("timed out after 60 s waiting for the banner reply"))
    }

    @Test func waitingForGoIsNotATimeout() {
        let limit = 60 * Self.second
        var session = SubmissionSession(configuration: configuration(), connectedAt: 0)
        authenticated(&session, pipelining: true)
        #expect(session.checkTimeout(now: 10 * limit, limit: limit) == .none)
        #expect(session.connectionClosed() == .fail("connection closed by server"))
    }
}
