import Testing
@testable import SMTPCore

@Suite struct ParameterParserTests {
    private func mail(_ parameters: String) -> Result<MailParameters, Reply> {
        switch parse("MAIL FROM:<a@example.net> \(parameters)") {
        case .success(.mail(_, let parsed)): return .success(parsed)
        case .success(let other): return .failure(Reply(code: 0, "unexpected \(other)"))
        case .failure(let reply): return .failure(reply)
        }
    }

    private func rcpt(_ parameters: String) -> Result<RcptParameters, Reply> {
        switch parse("RCPT TO:<a@alato.example> \(parameters)") {
        case .success(.rcpt(_, let parsed)): return .success(parsed)
        case .success(let other): return .failure(Reply(code: 0, "unexpected \(other)"))
        case .failure(let reply): return .failure(reply)
        }
    }

    @Test(arguments: [
        ("SIZE=0", MailParameters(size: 0)),
        ("SIZE=26214400", MailParameters(size: 26_214_400)),
        ("size=12", MailParameters(size: 12)),
        ("SIZE=99999999999999999999", MailParameters(size: Int.max)),   // 20 digits saturate
        ("BODY=7BIT", MailParameters(body: .sevenBit)),
        ("BODY=8bitmime", MailParameters(body: .eightBitMIME)),
        ("BODY=BINARYMIME", MailParameters(body: .binaryMIME)),
        ("SMTPUTF8", MailParameters(smtpUTF8: true)),
        ("smtputf8", MailParameters(smtpUTF8: true)),
        ("RET=FULL", MailParameters(ret: .full)),
        ("RET=hdrs", MailParameters(ret: .headers)),
        ("ENVID=QQ314159", MailParameters(envelopeID: "QQ314159")),
        ("ENVID=a+2Bb+3Dc", MailParameters(envelopeID: "a+b=c")),
        ("AUTH=<>", MailParameters(auth: "<>")),
        ("AUTH=e+3Dmc2@example.com", MailParameters(auth: "e+3Dmc2@example.com")),
        ("SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>",
         MailParameters(size: 10, body: .eightBitMIME, smtpUTF8: true, ret: .headers, envelopeID: "x", auth: "<>")),
    ])
    func validMailParameters(text: String, expected: MailParameters) {
        #expect(mail(text) == .success(expected))
    }

    @Test(arguments: [
        ("SIZE", Reply.parameterSyntax),
        ("SIZE=", .parameterSyntax),
        ("SIZE=-1", .parameterSyntax),
        ("SIZE=1k", .parameterSyntax),
        ("SIZE=999999999999999999999", .parameterSyntax),   // 21 digits (RFC 1870: 1*20DIGIT)
        ("BODY=9BIT", .parameterSyntax),
        ("BODY", .parameterSyntax),
        ("SMTPUTF8=YES", .parameterSyntax),
        ("RET=ALL", .parameterSyntax),
        ("ENVID=a+2b", .parameterSyntax),                     // lower-case hex is not xtext
        ("ENVID=a+2", .parameterSyntax),
        ("ENVID=\(String(repeating: "x", count: 101))", .parameterSyntax),
        ("AUTH=a+zz", .parameterSyntax),
        ("=1", .parameterSyntax),
        ("-X=1", .parameterSyntax),
        ("X_Y=1", .parameterSyntax),
        ("SIZE=1=2", .parameterSyntax),
        ("SIZE=1 SIZE=2", .duplicateParameter),
        ("size=1 SIZE=1", .duplicateParameter),
        ("SMTPUTF8 SMTPUTF8", .duplicateParameter),
        ("XFOO=1", .parametersNotRecognized),
        ("NOTIFY=NEVER", .parametersNotRecognized),          // RCPT parameter on MAIL
        ("SIZE=1 X-UNKNOWN", .parametersNotRecognized),
    ])
    func invalidMailParameters(text: String, reply: Reply) {
        #expect(mail(text).error == reply)
    }

    @Test(arguments: [
        ("NOTIFY=NEVER", RcptParameters(notify: .never)),
        ("NOTIFY=never", RcptParameters(notify: .never)),
        ("NOTIFY=SUCCESS", RcptParameters(notify: .on([.success]))),
        ("NOTIFY=SUCCESS,FAILURE,DELAY", RcptParameters(notify: .on([.success, .failure, .delay]))),
        ("NOTIFY=delay,failure", RcptParameters(notify: .on([.failure, .delay]))),
        ("ORCPT=rfc822;a@example.net", RcptParameters(originalRecipient: OriginalRecipient(addressType: "rfc822", address: "a@example.net"))),
        ("ORCPT=rfc822;a+2Bb@example.net", RcptParameters(originalRecipient: OriginalRecipient(addressType: "rfc822", address: "a+b@example.net"))),
        ("NOTIFY=FAILURE ORCPT=rfc822;x@example.net",
         RcptParameters(notify: .on([.failure]), originalRecipient: OriginalRecipient(addressType: "rfc822", address: "x@example.net"))),
    ])
    func validRcptParameters(text: String, expected: RcptParameters) {
        #expect(rcpt(text) == .success(expected))
    }

    @Test(arguments: [
        ("NOTIFY=NEVER,SUCCESS", Reply.parameterSyntax),      // RFC 3461 §4.1: NEVER stands alone
        ("NOTIFY=SUCCESS,NEVER", .parameterSyntax),
        ("NOTIFY=", .parameterSyntax),
        ("NOTIFY", .parameterSyntax),
        ("NOTIFY=SUCCESS,", .parameterSyntax),
        ("NOTIFY=ALWAYS", .parameterSyntax),
        ("ORCPT=rfc822", .parameterSyntax),
        ("ORCPT=;a@example.net", .parameterSyntax),
        ("ORCPT=rfc822;", .parameterSyntax),
        ("ORCPT=rfc822;a+zz", .parameterSyntax),
        ("NOTIFY=NEVER NOTIFY=NEVER", .duplicateParameter),
        ("SIZE=1", .parametersNotRecognized),                // MAIL parameter on RCPT
        ("XRCPTFORWARD=1", .parametersNotRecognized),
    ])
    func invalidRcptParameters(text: String, reply: Reply) {
        #expect(rcpt(text).error == reply)
    }

    @Test func orcptLengthLimit() {
        let long = "rfc822;" + String(repeating: "a", count: 494)   // 501 characters
        #expect(rcpt("ORCPT=\(long)").error == .parameterSyntax)
        let fits = "rfc822;" + String(repeating: "a", count: 493)
        #expect(rcpt("ORCPT=\(fits)").value != nil)
    }

    @Test func notifyKeywords() {
        #expect(DSNNotify.never.keywords == ["NEVER"])
        #expect(DSNNotify.on([.delay, .success]).parameterValue == "SUCCESS,DELAY")
        #expect(DSNNotify.on([.failure]).includes(.failure))
        #expect(!DSNNotify.never.includes(.failure))
    }
}
