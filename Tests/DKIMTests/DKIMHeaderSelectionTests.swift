import DKIM
import Testing

@Suite("Header selection and oversigning (RFC 6376 §5.4)")
struct DKIMHeaderSelectionTests {
    @Test("recommended fields present are signed, From/To/Subject once more")
    func recommendedList() throws {
        let block = try DKIMHeaderBlock(parsing: TestMessages.simpleMessage)
        let names = DKIMHeaderSelection.recommended.signedHeaderNames(for: block.fields)
        #expect(names == [
            "from", "from", "subject", "subject", "date", "message-id", "to", "to",
            "mime-version", "content-type",
        ])
        #expect(!names.contains("received"))
        #expect(!names.contains("x-mailer"))
    }

    @Test("absent oversigned fields are still listed once")
    func absentOversigned() throws {
        let block = try DKIMHeaderBlock(parsing: Array("From: a@alato.example\r\nDate: x\r\n".utf8))
        let names = DKIMHeaderSelection.recommended.signedHeaderNames(for: block.fields)
        #expect(names == ["from", "from", "subject", "date", "to"])
    }

    @Test("repeated fields are listed as often as they occur")
    func repeatedFields() throws {
        let block = try DKIMHeaderBlock(parsing: Array(
            "From: a@alato.example\r\nCc: one@example.net\r\nCC: two@example.net\r\nTo: t@example.net\r\nTo: u@example.net\r\n".utf8))
        let names = DKIMHeaderSelection.recommended.signedHeaderNames(for: block.fields)
        #expect(names == ["from", "from", "subject", "to", "to", "to", "cc", "cc"])
    }

    @Test("DKIM-Signature, Received and Return-Path are never signed by default")
    func neverSigned() {
        let names = DKIMHeaderSelection.recommended.names
        for name in ["dkim-signature", "received", "return-path", "comments", "keywords"] {
            #expect(!names.contains(name))
        }
        #expect(names.first == "from")
        #expect(DKIMHeaderSelection.recommended.oversigned == ["from", "to", "subject"])
    }

    @Test("RFC 6376 §5.4.1 list is covered")
    func rfcListCovered() {
        let rfcList = ["from", "reply-to", "subject", "date", "to", "cc", "resent-date", "resent-from",
                       "resent-to", "resent-cc", "in-reply-to", "references", "list-id", "list-help",
                       "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive"]
        for name in rfcList {
            #expect(DKIMHeaderSelection.recommended.names.contains(name), "\(name)")
        }
    }
}
