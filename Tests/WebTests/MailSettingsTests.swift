import Testing
@testable import Web

@Suite struct MailSettingsTests {
    /// The fixture's `[client_settings]` with the given incoming server values.
    func settings(host: String? = nil, protocol name: String? = nil, port: Int? = nil) -> MailSettings {
        MailSettings(submissionHost: "smtp.alato.example", submissionPort: 587, submissionsPort: 465,
                     incomingHost: host, incomingProtocol: name, incomingPort: port)
    }

    @Test(arguments: [
        ("mx.example", nil, nil, MailSettings.IncomingProtocol.imap, 993, MailSettings.Security.tls),
        ("mx.example", "pop3", nil, .pop3, 995, .tls),
        ("mx.example", "IMAP", 143, .imap, 143, .startTLS),
        ("mx.example", "pop3s", 1995, .pop3, 1995, .tls),
    ] as [(String, String?, Int?, MailSettings.IncomingProtocol, Int, MailSettings.Security)])
    func incomingServer(host: String, name: String?, givenPort: Int?, kind: MailSettings.IncomingProtocol, port: Int,
                        security: MailSettings.Security) throws {
        let incoming = try #require(settings(host: host, protocol: name, port: givenPort).incoming)
        #expect(incoming.protocol == kind)
        #expect(incoming.endpoint == .init(host: "mx.example", port: port, security: security))
    }

    @Test func noIncomingWithoutHostOrWithUnknownProtocol() throws {
        #expect(settings().incoming == nil)
        #expect(settings(host: "mx.example", protocol: "jmap").incoming == nil)
    }

    @Test func outgoingIsAlwaysSubmission() throws {
        let settings = settings()
        #expect(settings.submission == .init(host: "smtp.alato.example", port: 587, security: .startTLS))
        #expect(settings.submissions == .init(host: "smtp.alato.example", port: 465, security: .tls))
    }
}
