import Testing
@testable import Web

@Suite struct MailSettingsTests {
    @Test func defaultsAreTheStandardPorts() {
        let settings = MailSettings(submissionHost: "smtp.alato.example", pop3Host: "pop.alato.example")
        #expect(settings.submission == .init(host: "smtp.alato.example", port: 587, security: .startTLS))
        #expect(settings.submissions == .init(host: "smtp.alato.example", port: 465, security: .tls))
        #expect(settings.pop3s == .init(host: "pop.alato.example", port: 995, security: .tls))
        #expect(settings.pop3 == .init(host: "pop.alato.example", port: 110, security: .startTLS))
        #expect(settings.imap == nil)
    }

    @Test func incomingServersInTheOrderClientsTryThem() {
        var settings = MailSettings(submissionHost: "smtp.alato.example", pop3Host: "pop.alato.example",
                                    pop3Port: 1110, pop3sPort: 1995)
        #expect(settings.incoming.map(\.srvService) == ["pop3s", "pop3"])
        #expect(settings.incoming.map(\.endpoint.port) == [1995, 1110])
        #expect(settings.primaryIncoming == .init(protocol: .pop3, endpoint: settings.pop3s))
        settings.imap = .init(host: "imap.alato.example", port: 143, security: .startTLS)
        #expect(settings.incoming.map(\.srvService) == ["pop3s", "pop3", "imap"])
        #expect(settings.incoming.last?.protocol == .imap)
    }

    @Test func outgoingIsAlwaysSubmission() {
        let settings = MailSettings(submissionHost: "smtp.alato.example", pop3Host: "pop.alato.example")
        #expect(settings.outgoing.map(\.port) == [587, 465])
        #expect(!settings.outgoing.contains { $0.port == 25 })
    }
}
