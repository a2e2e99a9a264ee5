import Testing
@testable import SMTPCore

@Suite struct ReceivedHeaderTests {
    private static let date = RFC5322Date(secondsSince1970: 1732897140, utcOffsetMinutes: 540)

    @Test func fullHeader() {
        let header = ReceivedHeader(
            heloName: "laptop.example.net", clientAddress: "198.51.100.7", reverseDNS: "host7.example.net",
            hostname: "mail.alato.example", protocolKeyword: .esmtpsa, queueID: "4F2A9C",
            tls: TLSInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384"),
            recipient: .mailbox(Mailbox(localPart: "user", domain: .name("example.org"))), date: Self.date)
        #expect(header.rendered == """
            Received: from laptop.example.net (host7.example.net [198.51.100.7])\r
            \tby mail.alato.example (Portcullis) with ESMTPSA id 4F2A9C\r
            \t(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)\r
            \tfor <user@example.org>; Sat, 30 Nov 2024 01:19:00 +0900\r

            """)
    }

    @Test func minimalHeaderWithIPv6() {
        let header = ReceivedHeader(
            heloName: "[IPv6:2001:db8::7]", clientAddress: "2001:db8::7", hostname: "mail.alato.example",
            protocolKeyword: .smtp, queueID: "Q", tls: nil, recipient: nil, date: Self.date)
        #expect(header.rendered == "Received: from [IPv6:2001:db8::7] (unknown [IPv6:2001:db8::7])\r\n"
            + "\tby mail.alato.example (Portcullis) with SMTP id Q; Sat, 30 Nov 2024 01:19:00 +0900\r\n")
    }

    @Test func tlsWithoutCipherName() {
        let header = ReceivedHeader(
            heloName: "x", clientAddress: "198.51.100.7", hostname: "h", protocolKeyword: .esmtps, queueID: "Q",
            tls: TLSInfo(version: "TLSv1.3", cipher: ""), recipient: nil, date: Self.date)
        #expect(header.rendered.contains("\t(version=TLSv1.3); "))
    }

    @Test func hostileValuesCannotBreakTheHeader() {
        let header = ReceivedHeader(
            heloName: "evil)\r\nBcc: x@example.net (", clientAddress: "198.51.100.7", reverseDNS: "a;b",
            hostname: "h", protocolKeyword: .esmtp, queueID: "Q\r\nX: y", tls: nil,
            recipient: .mailbox(Mailbox(localPart: "a;\r\nb", domain: .name("example.org"))), date: Self.date)
        let text = header.rendered
        // Only the folding CRLFs and the final one remain.
        let lineFeeds = text.utf8.filter { $0 == 0x0A }.count
        let carriageReturns = text.utf8.filter { $0 == 0x0D }.count
        #expect(lineFeeds == 3 && carriageReturns == 3)
        #expect(!text.contains("\r\nBcc"))
        #expect(!text.contains("evil)"))
        #expect(text.filter { $0 == ";" }.count == 1)
    }

    @Test func envelopeInitialiserWritesForOnlyForOneRecipient() {
        let one = Envelope(sender: .null, recipients: [EnvelopeRecipient(path: .postmaster)],
                           heloName: "x", usedESMTP: true, service: .relay)
        let header = ReceivedHeader(envelope: one, clientAddress: "198.51.100.7", hostname: "h", queueID: "Q", date: Self.date)
        #expect(header.recipient == .postmaster)
        #expect(header.rendered.contains("\tfor <Postmaster>; "))

        var two = one
        two.recipients.append(EnvelopeRecipient(path: .postmaster))
        #expect(ReceivedHeader(envelope: two, clientAddress: "198.51.100.7", hostname: "h", queueID: "Q", date: Self.date).recipient == nil)
    }

    @Test(arguments: [
        (false, false, false, false, ReceivedProtocol.smtp),
        (false, true, true, true, .smtp),
        (true, false, false, false, .esmtp),
        (true, false, true, false, .esmtpa),
        (true, true, false, false, .esmtps),
        (true, true, true, false, .esmtpsa),
        (true, false, false, true, .utf8smtp),
        (true, false, true, true, .utf8smtpa),
        (true, true, false, true, .utf8smtps),
        (true, true, true, true, .utf8smtpsa),
    ])
    func protocolKeywords(esmtp: Bool, tls: Bool, authenticated: Bool, utf8: Bool, expected: ReceivedProtocol) {
        #expect(ReceivedProtocol(esmtp: esmtp, tls: tls, authenticated: authenticated, utf8: utf8) == expected)
    }
}
