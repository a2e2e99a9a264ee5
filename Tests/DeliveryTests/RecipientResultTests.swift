import SMTPCore
import Spool
import Testing
@testable import Delivery

@Suite("Recipient results")
struct RecipientResultTests {
    @Test("an expired recipient keeps its last reply's code, text and host (RFC 3463 §3.5 X.4.7)")
    func deliveryTimeExpired() {
        let last = DeliveryReply(Reply(code: 452, enhanced: .mailSystemFull, "mailbox full"), remoteHost: "mx.example.net")
        let expired = RecipientResult.deliveryTimeExpired(after: last)
        #expect(expired.kind == .failed)
        #expect(expired.reply == Reply(code: 451, enhanced: .deliveryTimeExpired,
                                       "delivery time expired; last error: 452 4.3.1 mailbox full"))
        #expect(expired.remoteMTA == "mx.example.net")
        #expect(RecipientResult.deliveryTimeExpired(after: nil).reply.lines
            == ["delivery time expired; last error: no attempt succeeded"])
    }
}
