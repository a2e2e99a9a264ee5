import Delivery
import Foundation
import SMTPCore
import Spool
import Testing

/// A queue written by a Portcullis whose spool kept every envelope field as a string (the
/// version 1 encoding) is read as typed values and delivered after an upgrade.
@Suite("A spool in the version 1 encoding")
struct LegacySpoolDeliveryTests {
    /// Writes a version 1 message straight into `queue/`: bytes, envelope, then state (the
    /// envelope makes it visible, as the spool does). A client's ORCPT was stored decoded.
    func writeVersion1(_ fixture: QueueFixture, id: QueueID, body: String) throws {
        let queue = "\(fixture.dataDirectory)/spool/queue"
        // Whole seconds, a minute ago: a decimal read back from JSON may land a hair after
        // the test clock's "now", and the retry would not be due yet.
        let arrival = (fixture.clock.read().timeIntervalSince1970 - 60).rounded(.down)
        try Data(body.utf8).write(to: URL(fileURLWithPath: "\(queue)/\(id)"))
        let envelope = """
            {"arrival":\(arrival),"authenticatedAccount":"taro@alato.example","body":"8BITMIME",\
            "clientAddress":"192.0.2.1","dsnRet":"HDRS","envid":"OLD 1","heloName":"client.example",\
            "recipients":[\
            {"address":"a@example.net","attempts":1,"lastError":"451 4.4.1 connection refused (from mx.example.net)",\
            "nextAttempt":\(arrival),"notify":["FAILURE","DELAY"],"orcpt":"rfc822;a+x@example.net","state":"deferred"},\
            {"address":"b@example.net","attempts":1,"lastError":"550-5.1.1 no such | 550 5.1.1 user here (from mx.example.net)",\
            "notify":["FAILURE"],"state":"failed"}],\
            "sender":"taro@alato.example","service":"submission","size":\(body.utf8.count),"smtputf8":false}
            """
        try Data(envelope.utf8).write(to: URL(fileURLWithPath: "\(queue)/\(id).envelope"))
        let state = """
            [{"attempts":1,"lastError":"451 4.4.1 connection refused (from mx.example.net)","nextAttempt":\(arrival),"state":"deferred"},\
            {"attempts":1,"lastError":"550-5.1.1 no such | 550 5.1.1 user here (from mx.example.net)","state":"failed"}]
            """
        try Data(state.utf8).write(to: URL(fileURLWithPath: "\(queue)/\(id).state"))
    }

    @Test("the old strings read back as typed values; the message is delivered and the failure bounced")
    func readAndDelivered() async throws {
        let sink = try await SmtpSink.start()
        let fixture = try await QueueFixture(routes: ["example.net": "127.0.0.1:\(sink.port)"])
        let id = try #require(QueueID("0K8Q6Z4V3D2XJ7"))
        try writeVersion1(fixture, id: id, body: sampleMessage(subject: "Queued before the upgrade"))

        let envelope = try fixture.spool.envelope(of: id)
        #expect(envelope.sender == .mailbox(mailbox("taro@alato.example")))
        #expect(envelope.origin == .received(.submission))
        #expect(envelope.ret == .headers && envelope.body == .eightBitMIME && envelope.envelopeID == "OLD 1")
        let first = envelope.recipients[0]
        #expect(first.path == .mailbox(mailbox("a@example.net")))
        #expect(first.notify == .on([.failure, .delay]))
        #expect(first.originalRecipient == OriginalRecipient(addressType: "rfc822", address: "a+x@example.net"))
        #expect(first.lastReply == DeliveryReply(Reply(code: 451, enhanced: .init(4, 4, 1), "connection refused"),
                                                 remoteHost: "mx.example.net"))
        #expect(envelope.recipients[1].lastReply == DeliveryReply(
            Reply(code: 550, enhanced: .init(5, 1, 1), lines: ["no such", "user here"]), remoteHost: "mx.example.net"))

        await fixture.manager.processQueue()   // a@ is delivered; the DSN for b@ is queued
        await fixture.manager.processQueue()   // the DSN is delivered locally
        let dump = try #require(sink.messages().first)
        #expect(dump.contains("Subject: Queued before the upgrade"))
        #expect(dump.contains("X-Rcpt-Args: <a@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a+2Bx@example.net"))
        #expect(try fixture.spool.list().isEmpty)
        let report = try DSNReport(parsing: try #require(fixture.maildirMessages("taro@alato.example").first))
        #expect(report.messageFields["Original-Envelope-Id"] == "OLD 1")
        let failed = try #require(report.recipientFields.first)
        #expect(failed["Final-Recipient"] == "rfc822; b@example.net")
        #expect(failed["Status"] == "5.1.1")
        #expect(failed["Remote-MTA"] == "dns; mx.example.net")
        #expect(failed["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user here")
    }
}
