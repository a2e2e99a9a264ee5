@testable import Delivery
import Foundation
import SMTPCore
import Spool
import Testing

/// `portcullis queue retry ID` and `queue delete ID --bounce` as the queue manager carries
/// them out (the requests are files in the spool's `requests/`, see ``QueueRequest``).
@Suite("Operator requests for one message")
struct QueueOperatorRequestTests {
    @Test("retry ID makes one deferred message due now; the others keep their schedule")
    func retryOneMessage() async throws {
        let failing = try await SmtpSink.start(options: ["-r", "RCPT"])
        let port = failing.port
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"])
        let first = try await fixture.submit(from: "taro@alato.example", to: ["one@example.net"], body: sampleMessage())
        let second = try await fixture.submit(from: "taro@alato.example", to: ["two@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        #expect(try fixture.spool.envelope(of: first).recipients[0].state == .deferred)
        failing.stop()
        let healthy = try await SmtpSink.start(port: port)

        try fixture.spool.submit(.retry(first))
        await fixture.manager.processQueue()
        let delivered = healthy.messages()
        #expect(delivered.count == 1)
        #expect(delivered.first?.contains("X-Rcpt-Args: <one@example.net>") == true)
        #expect(!fixture.spool.contains(first))
        let waiting = try fixture.spool.envelope(of: second).recipients[0]
        #expect(waiting.state == .deferred && waiting.attempts == 1, "the other message was not retried")

        // The request was carried out once: a second scan does not retry the other message.
        await fixture.manager.processQueue()
        #expect(healthy.messages().count == 1)
    }

    @Test("delete ID --bounce: the undelivered recipients are bounced as deleted by the operator, the message removed")
    func bounceOnDelete() async throws {
        let failing = try await SmtpSink.start(options: ["-r", "RCPT"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(failing.port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["hanako@alato.example", "later@example.net"],
                                          body: sampleMessage(subject: "Deleted by the operator"), envid: "OP7")
        await fixture.manager.processQueue()   // hanako delivered, later@example.net deferred
        #expect(fixture.maildirMessages("hanako@alato.example").count == 1)

        try fixture.spool.submit(.bounce(id))
        await fixture.manager.processQueue()   // fails, queues the bounce, removes the message
        #expect(!fixture.spool.contains(id))
        await fixture.manager.processQueue()   // the bounce reaches taro's Maildir
        #expect(try fixture.spool.list().isEmpty)

        let bounce = try #require(fixture.maildirMessages("taro@alato.example").first)
        let report = try DSNReport(parsing: bounce)
        #expect(report.contentType.hasPrefix("multipart/report"))
        #expect(report.messageFields["Original-Envelope-Id"] == "OP7")
        #expect(report.recipientFields.count == 1, "only the undelivered recipient is reported")
        let recipient = try #require(report.recipientFields.first)
        #expect(recipient["Final-Recipient"] == "rfc822; later@example.net")
        #expect(recipient["Action"] == "failed")
        #expect(recipient["Status"] == Reply.deletedByOperator.enhanced?.description)
        #expect(recipient["Diagnostic-Code"] == "smtp; 554 5.0.0 Message deleted from the queue by the operator")
        #expect(bounce.contains("Subject: Deleted by the operator"), "the original is returned")
        #expect(fixture.maildirMessages("taro@alato.example").count == 1)
    }

    @Test("delete ID --bounce of a held message bounces it too")
    func bounceHeld() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["held@example.net"], body: sampleMessage())
        try fixture.spool.hold(id)
        try fixture.spool.submit(.bounce(id))
        await fixture.manager.processQueue()
        await fixture.manager.processQueue()
        #expect(sink.messages().isEmpty)
        #expect(try fixture.spool.list().isEmpty)
        #expect(fixture.maildirMessages("taro@alato.example").count == 1)
    }

    @Test("delete ID --bounce of a null-sender message removes it without a bounce")
    func noBounceForNullSender() async throws {
        let closed = SmtpSink.ClosedPort()   // nothing listens: the message stays deferred
        let port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(port)"])
        let id = try await fixture.submit(from: "", to: ["postmaster@example.net"], body: sampleMessage())
        await fixture.manager.processQueue()
        #expect(try fixture.spool.envelope(of: id).recipients[0].state == .deferred)
        try fixture.spool.submit(.bounce(id))
        await fixture.manager.processQueue()
        await fixture.manager.processQueue()
        #expect(try fixture.spool.list().isEmpty, "removed, and no bounce queued")
        #expect(fixture.maildirMessages("taro@alato.example").isEmpty)
    }

    @Test("A request for a message whose delivery is running waits for it instead of being lost")
    func requestWaitsForDeliveryInFlight() async throws {
        let failing = try await SmtpSink.start(options: ["-r", "RCPT"])
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(failing.port)"])
        let id = try await fixture.submit(from: "taro@alato.example", to: ["busy@example.net"], body: sampleMessage())
        let jobs = await fixture.manager.scan()   // the delivery starts: the message is busy
        #expect(jobs.count == 1)
        try fixture.spool.submit(.bounce(id))
        #expect(await fixture.manager.scan().isEmpty, "nothing to do while the message is busy")
        for job in jobs { await fixture.manager.execute(job) }   // deferred
        #expect(try fixture.spool.envelope(of: id).recipients[0].state == .deferred)

        await fixture.manager.processQueue()   // now the bounce request is carried out
        await fixture.manager.processQueue()
        #expect(try fixture.spool.list().isEmpty)
        #expect(fixture.maildirMessages("taro@alato.example").count == 1)
    }
}
