import Delivery
import Foundation
import SMTPCore
import Spool
import Testing

@Suite("Queue manager against smtp-sink and Maildirs")
struct QueueManagerTests {
    @Test("Remote mail reaches the sink intact and leaves the queue")
    func remoteDelivery() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        let body = sampleMessage(subject: "Remote test")
        try await fixture.submit(from: "taro@alato.example", to: ["a@example.net", "b@example.net"],
                                 notify: ["FAILURE", "DELAY"], orcpt: "rfc822;a@example.net", body: body, envid: "ENV 1")
        await fixture.manager.processQueue()
        let messages = sink.messages()
        #expect(messages.count == 1, "one transaction for both recipients")
        let dump = try #require(messages.first)
        #expect(dump.contains("Subject: Remote test"))
        // The sink un-stuffs: the line must arrive as written, with one dot.
        #expect(dump.contains("\n.leading dot"))
        #expect(!dump.contains("..leading dot"))
        #expect(dump.contains("X-Rcpt-Args: <a@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@example.net"))
        #expect(dump.contains("ENVID=ENV+201"))
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("Several messages to one destination share a connection")
    func connectionReuse() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"]) {
            $0.maximumConnectionsPerDestination = 1
        }
        for index in 0..<5 {
            try await fixture.submit(from: "taro@alato.example", to: ["r\(index)@example.net"], body: sampleMessage(subject: "m\(index)"))
        }
        await fixture.manager.processQueue()
        let messages = sink.messages()
        #expect(messages.count == 5)
        #expect(fixture.log.count("session opened") == 1, "expected one connection")
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("A server without ESMTP gets HELO and plain MAIL/RCPT, one at a time")
    func heloFallback() async throws {
        let sink = try await SmtpSink.start(options: ["-e"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        try await fixture.submit(from: "taro@alato.example", to: ["old@example.net"], notify: ["FAILURE"],
                                 body: sampleMessage(subject: "Old server"), envid: "E1")
        await fixture.manager.processQueue()
        let dump = try #require(sink.messages().first)
        #expect(dump.contains("Subject: Old server"))
        #expect(dump.contains("X-Client-Proto: SMTP"), "the sink refused EHLO (500), so HELO must have been used")
        #expect(dump.contains("X-Rcpt-Args: <old@example.net>\n") || dump.contains("X-Rcpt-Args: <old@example.net>\r\n"),
                "no ESMTP parameters to a server that did not offer them")
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("550 from the remote: the recipient fails and a bounce with the reply reaches the sender's Maildir")
    func bounce() async throws {
        let sink = try await SmtpSink.start(options: ["-f", "RCPT"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        try await fixture.submit(from: "taro@alato.example", to: ["nobody@example.net"],
                                 orcpt: "rfc822;nobody@example.net", body: sampleMessage(subject: "Will bounce"), envid: "E42")
        await fixture.manager.processQueue()   // the attempt fails, the DSN is queued
        await fixture.manager.processQueue()   // the DSN is delivered locally
        #expect(try fixture.spool.list().isEmpty)
        let bounces = fixture.maildirMessages("taro@alato.example")
        let bounce = try #require(bounces.first)
        let report = try DSNReport(parsing: bounce)
        #expect(report.contentType.hasPrefix("multipart/report"))
        #expect(report.messageFields["Reporting-MTA"] == "dns; mail.alato.example")
        #expect(report.messageFields["Original-Envelope-Id"] == "E42")
        let recipient = try #require(report.recipientFields.first)
        #expect(recipient["Final-Recipient"] == "rfc822; nobody@example.net")
        #expect(recipient["Original-Recipient"] == "rfc822; nobody@example.net")
        #expect(recipient["Action"] == "failed")
        #expect(recipient["Status"]?.hasPrefix("5.") == true)
        #expect(recipient["Diagnostic-Code"]?.hasPrefix("smtp; 5") == true)
        #expect(recipient["Remote-MTA"] == "dns; 127.0.0.1")
        #expect(bounce.contains("Subject: Will bounce"), "the original is returned")
        #expect(bounce.contains("Return-Path: <>"))
    }

    @Test("NOTIFY=NEVER and the null sender get no bounce")
    func noBounce() async throws {
        let sink = try await SmtpSink.start(options: ["-f", "RCPT"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        try await fixture.submit(from: "taro@alato.example", to: ["x@example.net"], notify: ["NEVER"], body: sampleMessage())
        try await fixture.submit(from: "", to: ["y@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        await fixture.manager.processQueue()
        #expect(try fixture.spool.list().isEmpty)
        #expect(fixture.maildirMessages("taro@alato.example").isEmpty)
    }

    @Test("4xx defers with a retry time; after the server recovers a flush delivers it")
    func deferThenDeliver() async throws {
        let failing = try await SmtpSink.start(options: ["-r", "RCPT"])
        let port = failing.port
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["later@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        let deferred = try fixture.spool.envelope(of: id).recipients[0]
        #expect(deferred.state == .deferred)
        #expect(deferred.attempts == 1)
        #expect(deferred.lastReply?.reply.isTransientFailure == true)
        let next = try #require(deferred.nextAttempt)
        #expect(abs(next.timeIntervalSince(fixture.clock.read()) - 300) < 1, "first retry after 5 minutes")

        // Not due yet: nothing happens.
        failing.stop()
        let healthy = try await SmtpSink.start(port: port)
        await fixture.manager.processQueue()
        #expect(healthy.messages().isEmpty)
        #expect(try fixture.spool.envelope(of: id).recipients[0].attempts == 1)

        // An operator flush makes it due now.
        try fixture.spool.submit(.flush)
        await fixture.manager.processQueue()
        #expect(healthy.messages().count == 1)
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("A server that is down defers; the queue lifetime turns that into a bounce")
    func expiry() async throws {
        let closed = SmtpSink.ClosedPort()   // nothing listens here
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"]) {
            $0.maximumQueueLifetime = 3600
        }
        let id = try await fixture.submit(from: "taro@alato.example", to: ["down@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        #expect(try fixture.spool.envelope(of: id).recipients[0].state == .deferred)
        fixture.clock.advance(3601)
        await fixture.manager.processQueue()   // expires, bounces
        await fixture.manager.processQueue()   // delivers the bounce
        let bounce = try #require(fixture.maildirMessages("taro@alato.example").first)
        #expect(bounce.contains("Status: 4.4.7"))
        #expect(bounce.contains("Action: failed"))
    }

    @Test("A delay notice goes out once after the configured time")
    func delayNotice() async throws {
        let closed = SmtpSink.ClosedPort()
        defer { withExtendedLifetime(closed) {} }
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(closed.port)"]) {
            $0.delayNoticeAfter = 600
        }
        try await fixture.submit(from: "taro@alato.example", to: ["slow@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        fixture.clock.advance(601)
        await fixture.manager.processQueue()   // queues the notice
        await fixture.manager.processQueue()   // delivers it
        fixture.clock.advance(60)
        await fixture.manager.processQueue()
        let notices = fixture.maildirMessages("taro@alato.example")
        #expect(notices.count == 1)
        #expect(notices.first?.contains("Action: delayed") == true)
        #expect(notices.first?.contains("Will-Retry-Until:") == true)
    }

    @Test("Hosted recipients land in their Maildir with Return-Path and Delivered-To; aliases fan out and forward")
    func localDelivery() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        try await fixture.submit(from: "someone@example.org", to: ["Taro@alato.example", "team@alato.example"],
                                 body: sampleMessage(subject: "Local"))
        await fixture.manager.processQueue()   // local copies + the forward is queued
        await fixture.manager.processQueue()   // the forward goes out
        let taro = try #require(fixture.maildirMessages("taro@alato.example").first)
        #expect(taro.hasPrefix("Return-Path: <someone@example.org>\nDelivered-To: taro@alato.example\n"))
        #expect(taro.contains("Subject: Local"))
        #expect(!taro.contains("\r\n"), "Maildir files use LF line endings")
        #expect(fixture.maildirMessages("hanako@alato.example").count == 1)
        let forwarded = try #require(sink.messages().first)
        #expect(forwarded.contains("X-Mail-Args: <someone@example.org>"))
        #expect(forwarded.contains("X-Rcpt-Args: <friend@example.net>"))
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("Mail to the bare <Postmaster> reaches the configured postmaster's Maildir")
    func barePostmaster() async throws {
        let fixture = try await QueueFixture(routes: [:]) { $0.postmaster = mailbox("hanako@alato.example") }
        try await fixture.submit(from: "someone@example.org", to: ["<Postmaster>"], body: sampleMessage(subject: "To the postmaster"))
        await fixture.manager.processQueue()
        let delivered = try #require(fixture.maildirMessages("hanako@alato.example").first)
        #expect(delivered.contains("Delivered-To: hanako@alato.example\n"))
        #expect(delivered.contains("Subject: To the postmaster"))
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("Unknown local user fails with 5.1.1; a Delivered-To loop fails with 5.4.6")
    func localFailures() async throws {
        let fixture = try await QueueFixture(routes: [:])
        let looping = "Delivered-To: hanako@alato.example\r\n" + sampleMessage(subject: "Loop")
        try await fixture.submit(from: "taro@alato.example", to: ["hanako@alato.example", "ghost@alato.example"], body: looping)
        await fixture.manager.processQueue()   // both fail, the bounce is queued
        await fixture.manager.processQueue()   // the bounce reaches taro
        #expect(fixture.maildirMessages("hanako@alato.example").isEmpty)
        let report = try DSNReport(parsing: try #require(fixture.maildirMessages("taro@alato.example").first))
        let statuses = Dictionary(uniqueKeysWithValues: report.recipientFields.map { ($0["Final-Recipient"] ?? "", $0["Status"] ?? "") })
        #expect(statuses == ["rfc822; hanako@alato.example": "5.4.6", "rfc822; ghost@alato.example": "5.1.1"])
        #expect(try fixture.spool.list().isEmpty)
    }

    @Test("A held message is not delivered until released")
    func hold() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["held@example.net"], body: sampleMessage())
        try fixture.spool.hold(id)
        await fixture.manager.processQueue()
        #expect(sink.messages().isEmpty)
        try fixture.spool.release(id)
        await fixture.manager.processQueue()
        #expect(sink.messages().count == 1)
    }

    @Test("A delivered recipient is never sent again after a restart")
    func restartResumes() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["done@example.net", "todo@example.net"], body: sampleMessage())
        // As if a previous run delivered the first recipient and crashed before the second.
        var statuses = try fixture.spool.envelope(of: id).recipients.map(\.deliveryStatus)
        statuses[0] = RecipientDeliveryStatus(state: .delivered, attempts: 1, lastReply: DeliveryReply(.ok, remoteHost: "127.0.0.1"))
        try fixture.spool.setDeliveryState(statuses, of: id)
        await fixture.manager.processQueue()
        let dumps = sink.messages()
        #expect(dumps.count == 1)
        #expect(dumps.first?.contains("X-Rcpt-Args: <todo@example.net>") == true)
        #expect(dumps.first?.contains("done@example.net>") == false)
        #expect(try fixture.spool.list().isEmpty)
    }
}
