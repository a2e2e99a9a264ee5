import LoadgenCore
import NIOCore
import Testing

@Suite struct MessageTemplateTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (1_800_000_000, "Fri, 15 Jan 2027 08:00:00 +0000"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 +0000"),
    ])
    func dates(seconds: Int, expected: String) {
        #expect(rfc5322Date(secondsSinceEpoch: seconds) == expected)
    }

    @Test func messageAsSubmissionPyBuildsIt() {
        let template = MessageTemplate(sender: "taro@alato.example", recipient: "r@example.net", size: 4096)
        var buffer = ByteBuffer()
        template.write(index: 7, date: "Thu, 01 Jan 1970 00:00:00 +0000", messageID: "0123456789abcdef0123456789abcdef",
                       into: &buffer)
        let text = String(buffer: buffer)
        let header = "From: <taro@alato.example>\r\nTo: <r@example.net>\r\nSubject: load 7\r\n"
            + "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
            + "Message-ID: <0123456789abcdef0123456789abcdef@loadgen.alato.example>\r\n\r\n"
        #expect(text.hasPrefix(header))
        #expect(text.hasSuffix(MessageTemplate.bodyLine + ".\r\n"))
        let lines = (4096 - header.utf8.count) / 78
        #expect(buffer.readableBytes == header.utf8.count + lines * 78 + 3)
        // Every line fits RFC 5322 §2.1.1's 78 characters and none needs dot-stuffing.
        let body = text.dropFirst(header.count).split(separator: "\r\n").dropLast()
        #expect(body.allSatisfy { $0.utf8.count <= 78 && !$0.hasPrefix(".") })
    }

    @Test func tinySizeStillHasOneBodyLine() {
        var buffer = ByteBuffer()
        MessageTemplate(sender: "a@b", recipient: "c@d", size: 10).write(index: 0, date: "d", messageID: "i", into: &buffer)
        #expect(String(buffer: buffer).hasSuffix("\r\n\r\n" + MessageTemplate.bodyLine + ".\r\n"))
    }

    @Test func authPlainIsRFC4616() {
        // RFC 4616 §4's example credentials, without authzid.
        #expect(String(buffer: Command.authPlain(user: "tim", password: "tanstaaftanstaaf").bytes)
                == "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n")
        #expect(String(buffer: Command.authPlain(user: "a", password: "bc").bytes) == "AUTH PLAIN AGEAYmM=\r\n")
        #expect(String(buffer: Command.envelope(sender: "s@x", recipient: "r@y").bytes)
                == "MAIL FROM:<s@x>\r\nRCPT TO:<r@y>\r\nDATA\r\n")
    }
}
