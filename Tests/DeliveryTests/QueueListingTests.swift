import Delivery
import Foundation
import SMTPCore
import Spool
import Testing

@Suite("queue list output")
struct QueueListingTests {
    let id = QueueID("0K8Q6Z4V3D2XJ7")!
    let arrival = Date(timeIntervalSince1970: 1_796_574_012)   // 2026-12-06T16:20:12Z

    func message(_ recipients: [SpoolRecipient], sender: String = "taro@alato.example", held: Bool = false) -> SpooledMessageSummary {
        SpooledMessageSummary(id: id, arrival: arrival, sender: sender.isEmpty ? .null : .mailbox(mailbox(sender)),
                              recipients: recipients, size: 1873, isHeld: held)
    }

    func recipient(_ address: String, state: DeliveryState = .pending, attempts: Int = 0,
                   reply: Reply? = nil, from host: String? = nil) -> SpoolRecipient {
        SpoolRecipient(path: .mailbox(mailbox(address)), state: state, attempts: attempts,
                       lastReply: reply.map { DeliveryReply($0, remoteHost: host) })
    }

    @Test("A message line, then one indented line per recipient with its state and last error")
    func recipientsWithStateAndLastError() {
        let listing = QueueListing.render([message([
            recipient("friend@example.net", state: .deferred, attempts: 2,
                      reply: Reply(code: 451, enhanced: .init(4, 4, 1), "connection refused"), from: "198.51.100.20"),
            recipient("hanako@alato.example", state: .delivered, attempts: 1, reply: .ok),
            recipient("nobody@example.org", state: .failed, attempts: 1,
                      reply: Reply(code: 550, enhanced: .init(5, 1, 1), "no such user"), from: "203.0.113.5"),
            recipient("new@example.org"),
        ])])
        #expect(listing == """
            0K8Q6Z4V3D2XJ7\t2026-12-06T16:20:12Z\t1873\t<taro@alato.example>\t4 recipient(s)\tpending
                <friend@example.net>\tdeferred\t451 4.4.1 connection refused (from 198.51.100.20)
                <hanako@alato.example>\tdelivered
                <nobody@example.org>\tfailed\t550 5.1.1 no such user (from 203.0.113.5)
                <new@example.org>\tpending

            """)
    }

    @Test("A held message lists its undelivered recipients as held, keeping their last error")
    func heldMessage() {
        let recipients = [
            recipient("a@example.net", state: .deferred, reply: Reply(code: 421, enhanced: .init(4, 7, 0), "try later")),
            recipient("b@example.net", state: .delivered),
            recipient("c@example.net"),
        ]
        for listing in [QueueListing.render([message(recipients, held: true)])] {
            let lines = listing.split(separator: "\n").map(String.init)
            #expect(lines[0].hasSuffix("\t3 recipient(s)\theld"))
            #expect(lines[1] == "    <a@example.net>\theld\t421 4.7.0 try later")
            #expect(lines[2] == "    <b@example.net>\tdelivered")
            #expect(lines[3] == "    <c@example.net>\theld")
        }
    }

    @Test("The null sender is <>; control characters from a remote reply cannot break the lines")
    func nullSenderAndControlCharacters() {
        let listing = QueueListing.render([message([
            recipient("x@example.net", state: .deferred, reply: Reply(code: 451, enhanced: .init(4, 3, 0), "odd\treply\r\nX-Injected: 1")),
        ], sender: "")])
        let lines = listing.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(lines[0].split(separator: "\t")[3] == "<>")
        #expect(lines[1] == "    <x@example.net>\tdeferred\t451 4.3.0 odd reply X-Injected: 1")
    }

    @Test("Listed states for each delivery state")
    func states() {
        #expect(QueueListing.RecipientState(.pending, messageHeld: false) == .pending)
        #expect(QueueListing.RecipientState(.deferred, messageHeld: false) == .deferred)
        #expect(QueueListing.RecipientState(.pending, messageHeld: true) == .held)
        #expect(QueueListing.RecipientState(.deferred, messageHeld: true) == .held)
        #expect(QueueListing.RecipientState(.delivered, messageHeld: true) == .delivered)
        #expect(QueueListing.RecipientState(.failed, messageHeld: true) == .failed)
    }

    @Test("An empty queue lists nothing")
    func empty() {
        #expect(QueueListing.render([]).isEmpty)
    }
}
