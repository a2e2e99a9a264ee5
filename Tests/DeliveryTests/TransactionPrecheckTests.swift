import SMTPCore
import Spool
import Testing
@testable import Delivery

@Suite("Transaction prechecks and commands")
struct TransactionPrecheckTests {
    let message = OutboundMessage(sender: .mailbox(mailbox("taro@alato.example")),
                                  recipients: [.init(address: mailbox("hanako@example.net"), notify: .on([.failure, .delay]),
                                                     originalRecipient: OriginalRecipient(addressType: "rfc822", address: "h+x@example.net"),
                                                     index: 0)],
                                  source: .file("/dev/null"), size: 5000, body: .eightBitMIME, ret: .headers, envelopeID: "id 1")

    @Test("SIZE over the server's limit fails with 552 5.3.4; 0 means no limit")
    func size() {
        let reply = SMTPTransaction.precheck(message, capabilities: ServerCapabilities(size: 4000, eightBitMIME: true), host: "mx")
        #expect(reply?.code == 552 && reply?.enhanced == EnhancedStatusCode(5, 3, 4))
        #expect(SMTPTransaction.precheck(message, capabilities: ServerCapabilities(size: 0, eightBitMIME: true), host: "mx") == nil)
    }

    @Test("SMTPUTF8 needed but not offered fails with 5.6.7")
    func smtputf8() {
        var utf8 = message
        utf8.requiresSMTPUTF8 = true
        let reply = SMTPTransaction.precheck(utf8, capabilities: ServerCapabilities(eightBitMIME: true), host: "mx")
        #expect(reply?.enhanced == EnhancedStatusCode(5, 6, 7))
        #expect(SMTPTransaction.precheck(utf8, capabilities: ServerCapabilities(eightBitMIME: true, smtpUTF8: true), host: "mx") == nil)
    }

    @Test("8BITMIME content to a server without it fails with 5.6.3 (no downconversion)")
    func eightBit() {
        let reply = SMTPTransaction.precheck(message, capabilities: ServerCapabilities(), host: "mx")
        #expect(reply?.enhanced == EnhancedStatusCode(5, 6, 3))
    }

    @Test("Parameters are sent only when offered")
    func parameters() {
        let all = ServerCapabilities(size: 0, eightBitMIME: true, dsn: true)
        #expect(SMTPTransaction.mailCommand(message, capabilities: all)
            == "MAIL FROM:<taro@alato.example> SIZE=5000 BODY=8BITMIME RET=HDRS ENVID=id+201")
        #expect(SMTPTransaction.recipientCommand(message.recipients[0], capabilities: all)
            == "RCPT TO:<hanako@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;h+2Bx@example.net")
        #expect(SMTPTransaction.mailCommand(message, capabilities: .none) == "MAIL FROM:<taro@alato.example>")
        #expect(SMTPTransaction.recipientCommand(message.recipients[0], capabilities: ServerCapabilities())
            == "RCPT TO:<hanako@example.net>")
    }
}
