import Testing
@testable import SMTPCore

@Suite struct ReplyTests {
    @Test func singleLineWithEnhancedCode() {
        #expect(Reply.senderOk.encoded() == "250 2.1.0 Sender ok\r\n")
    }

    @Test func multiLineUsesHyphenExceptOnLastLine() {
        let reply = Reply(code: 250, lines: ["first", "middle", "last"])
        #expect(reply.encoded() == "250-first\r\n250-middle\r\n250 last\r\n")
    }

    @Test func enhancedCodeIsPrefixedOnEveryLine() {
        let reply = Reply(code: 214, enhanced: EnhancedStatusCode(2, 0, 0), lines: ["a", "b"])
        #expect(reply.encoded() == "214-2.0.0 a\r\n214 2.0.0 b\r\n")
    }

    @Test func emptyTextStillEncodesOneLine() {
        // RFC 4954 §4: a PLAIN exchange without initial response starts with "334 ".
        #expect(Reply.authChallenge("").encoded() == "334 \r\n")
        #expect(Reply(code: 250, lines: []).encoded() == "250 \r\n")
    }

    @Test func lineBreaksInTextCannotForgeReplies() {
        let reply = Reply(code: 550, "bad\r\n250 ok")
        #expect(Reply(code: 550, "a\rb\nc").encoded() == "550 a b c\r\n")
        let wire = reply.encoded()
        #expect(wire == "550 bad 250 ok\r\n")
        #expect(wire.utf8.filter { $0 == 0x0A }.count == 1)
    }

    @Test func ehloReplyHasNoEnhancedCodes() {
        // RFC 2034 §3: greeting and EHLO responses carry no enhanced codes.
        let reply = Reply.ehlo("mail.alato.example", keywords: ["PIPELINING", "SIZE 100"])
        #expect(reply.encoded() == "250-mail.alato.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n")
        #expect(Reply.serviceReady("mail.alato.example").encoded() == "220 mail.alato.example ESMTP Portcullis\r\n")
    }

    @Test func withTextKeepsCodes() {
        let reply = Reply.badSequence.with(text: "Need MAIL command")
        #expect(reply.code == 503)
        #expect(reply.enhanced == EnhancedStatusCode(5, 5, 1))
        #expect(reply.lines == ["Need MAIL command"])
    }

    @Test func classification() {
        #expect(Reply.ok.isPositive)
        #expect(Reply.startData.isIntermediate)
        #expect(Reply.tooManyRecipients.isTransientFailure)
        #expect(Reply.relayDenied.isPermanentFailure)
        #expect(!Reply.ok.isFailure)
    }

    @Test func queuedReplyNamesTheID() {
        #expect(Reply.queued("4F2A9C").encoded() == "250 2.0.0 Ok: queued as 4F2A9C\r\n")
    }

    @Test func senderNotOwnedListsAllowedAddresses() {
        let reply = Reply.senderNotOwned(allowed: ["a@alato.example", "b@alato.example"])
        #expect(reply.code == 553)
        #expect(reply.enhanced == EnhancedStatusCode(5, 7, 1))
        #expect(reply.lines[0].hasSuffix("allowed: a@alato.example, b@alato.example"))
        #expect(!Reply.senderNotOwned(allowed: []).lines[0].contains("allowed"))
    }

    /// The catalogue against the codes the brief and the RFCs name.
    @Test(arguments: [
        (Reply.closing, 221, "2.0.0"),
        (Reply.ok, 250, "2.0.0"),
        (Reply.senderOk, 250, "2.1.0"),
        (Reply.recipientOk, 250, "2.1.5"),
        (Reply.readyToStartTLS, 220, "2.0.0"),
        (Reply.authSucceeded, 235, "2.7.0"),
        (Reply.serviceNotAvailable, 421, "4.3.0"),
        (Reply.tooManyErrors, 421, "4.7.0"),
        (Reply.timeout, 421, "4.4.2"),
        (Reply.tooManyRecipients, 452, "4.5.3"),
        (Reply.localError(sessionID: "s1"), 451, "4.3.0"),
        (Reply.notAcceptingMessages, 451, "4.3.2"),
        (Reply.queueFailure, 451, "4.3.0"),
        (Reply.systemMisconfigured, 451, "4.3.5"),
        (Reply.directoryUnavailable, 451, "4.4.3"),
        (Reply.syntaxError, 500, "5.5.2"),
        (Reply.lineTooLong, 500, "5.5.2"),
        (Reply.parameterSyntax, 501, "5.5.4"),
        (Reply.badSequence, 503, "5.5.1"),
        (Reply.notImplemented, 502, "5.5.1"),
        (Reply.parameterNotImplemented, 504, "5.5.4"),
        (Reply.parametersNotRecognized, 555, "5.5.4"),
        (Reply.authRequired, 530, "5.7.0"),
        (Reply.encryptionRequired, 530, "5.7.0"),
        (Reply.encryptionRequiredForAuth, 538, "5.7.11"),
        (Reply.authFailed, 535, "5.7.8"),
        (Reply.authCancelled, 501, "5.0.0"),
        (Reply.authTemporaryFailure, 454, "4.7.0"),
        (Reply.mailboxUnavailable, 550, "5.1.1"),
        (Reply.relayDenied, 554, "5.7.1"),
        (Reply.senderNotOwned(allowed: "a@alato.example"), 553, "5.7.1"),
        (Reply.messageTooBig, 552, "5.3.4"),
        (Reply.bareLineFeed, 554, "5.6.0"),
        (Reply.badRecipientSyntax, 501, "5.1.3"),
        (Reply.badSenderSyntax, 501, "5.1.7"),
        (Reply.vrfyCannot, 252, "2.5.0"),
        (Reply.noValidRecipients, 554, "5.5.1"),
        (Reply.unrecognizedCommand, 500, "5.5.1"),
        (Reply.tlsNotAvailable, 454, "4.7.0"),
        (Reply.alreadyTLS, 503, "5.5.1"),
        (Reply.smtputf8Required, 553, "5.6.7"),
        (Reply.duplicateParameter, 501, "5.5.4"),
        (Reply.nullSenderNotAllowed, 553, "5.7.1"),
    ])
    func catalogue(reply: Reply, code: Int, enhanced: String) {
        #expect(reply.code == code)
        #expect(reply.enhanced?.description == enhanced)
        #expect(reply.encoded().hasPrefix("\(code) \(enhanced) "))
    }

    @Test func replyIsItsOwnReplyConvertible() {
        let error: any ReplyConvertible = Reply.relayDenied
        #expect(error.reply == .relayDenied)
        let dataError: any ReplyConvertible = DataError.bareLF
        #expect(dataError.reply == .bareLineFeed)
    }
}
