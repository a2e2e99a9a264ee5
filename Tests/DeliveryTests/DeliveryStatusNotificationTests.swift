import Foundation
import SMTPCore
import Testing
@testable import Delivery

@Suite("DSN rendering (RFC 3464)")
struct DeliveryStatusNotificationTests {
    let original = Array("Subject: Original\r\nFrom: taro@alato.example\r\n\r\nBody line\r\n".utf8)

    private func path(_ address: String) -> ForwardPath {
        .mailbox(mailbox(address))
    }

    private func render(_ ret: DSNReturn, reports: [DeliveryStatusNotification.RecipientReport]) throws -> (String, DSNReport) {
        let dsn = DeliveryStatusNotification(reportingMTA: "mail.alato.example", recipient: Mailbox(localPart: "taro", domain: .name("alato.example")),
                                             envelopeID: "ENV\r\nInjected: x", arrivalDate: Date(timeIntervalSince1970: 1_700_000_000),
                                             reports: reports, returnContent: ret)
        let text = String(decoding: dsn.render(original: original, now: Date(timeIntervalSince1970: 1_700_000_100), uniqueToken: "T1"),
                          as: UTF8.self)
        return (text, try DSNReport(parsing: text))
    }

    @Test("Failed recipients: fields parse back, RET=FULL returns the whole message")
    func failed() throws {
        let (text, report) = try render(.full, reports: [
            .init(finalRecipient: path("a@example.net"), originalRecipient: OriginalRecipient(addressType: "rfc822", address: "A@example.net"), action: .failed,
                  reply: Reply(code: 550, enhanced: .init(5, 1, 1), "no such user"), remoteMTA: "mx.example.net"),
            .init(finalRecipient: path("b@example.net"), action: .failed, reply: Reply(code: 552, "too big")),
        ])
        #expect(report.contentType.hasPrefix("multipart/report; report-type=delivery-status"))
        #expect(report.messageFields["Reporting-MTA"] == "dns; mail.alato.example")
        #expect(report.messageFields["Original-Envelope-Id"] == "ENV  Injected: x", "CR/LF cannot forge fields")
        #expect(report.messageFields["Arrival-Date"] != nil)
        #expect(report.recipientFields.count == 2)
        let first = report.recipientFields[0]
        #expect(first["Original-Recipient"] == "rfc822; A@example.net")
        #expect(first["Final-Recipient"] == "rfc822; a@example.net")
        #expect(first["Action"] == "failed")
        #expect(first["Status"] == "5.1.1")
        #expect(first["Remote-MTA"] == "dns; mx.example.net")
        #expect(first["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user")
        #expect(report.recipientFields[1]["Status"] == "5.0.0", "derived from the reply class when no enhanced code")
        #expect(text.contains("Subject: Undelivered Mail Returned to Sender"))
        #expect(text.contains("Auto-Submitted: auto-replied"))
        #expect(text.contains("Content-Type: message/rfc822\r\n\r\nSubject: Original"))
        #expect(text.contains("Body line"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF")
    }

    @Test("RET=HDRS returns only the header; delay notices say when we give up")
    func headersAndDelay() throws {
        let (text, report) = try render(.headers, reports: [
            .init(finalRecipient: path("slow@example.net"), action: .delayed, reply: Reply(code: 451, enhanced: .init(4, 4, 1), "timeout"),
                  willRetryUntil: Date(timeIntervalSince1970: 1_700_400_000)),
        ])
        #expect(text.contains("Content-Type: text/rfc822-headers"))
        #expect(text.contains("Subject: Original"))
        #expect(!text.contains("Body line"))
        #expect(text.contains("Subject: Delayed Mail (still being retried)"))
        #expect(report.recipientFields.first?["Action"] == "delayed")
        #expect(report.recipientFields.first?["Will-Retry-Until"] != nil)
    }
}
