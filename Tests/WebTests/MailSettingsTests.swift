import Config
import Testing
@testable import Web

@Suite struct MailSettingsTests {
    func settings(_ incoming: String) throws -> MailSettings {
        let text = Fixture.toml.replacingOccurrences(
            of: "incoming_host = \"imap.alato.example\"\nincoming_protocol = \"imap\"\nincoming_port = 993", with: incoming)
        return MailSettings(try Fixture.configuration(text).clientSettings)
    }

    @Test(arguments: [
        ("incoming_host = \"mx.example\"", MailSettings.IncomingProtocol.imap, 993, MailSettings.Security.tls),
        ("incoming_host = \"mx.example\"\nincoming_protocol = \"pop3\"", .pop3, 995, .tls),
        ("incoming_host = \"mx.example\"\nincoming_protocol = \"IMAP\"\nincoming_port = 143", .imap, 143, .startTLS),
        ("incoming_host = \"mx.example\"\nincoming_protocol = \"pop3s\"\nincoming_port = 1995", .pop3, 1995, .tls),
    ])
    func incomingServer(toml: String, kind: MailSettings.IncomingProtocol, port: Int, security: MailSettings.Security) throws {
        let incoming = try #require(try settings(toml).incoming)
        #expect(incoming.protocol == kind)
        #expect(incoming.endpoint == .init(host: "mx.example", port: port, security: security))
    }

    @Test func noIncomingWithoutHostOrWithUnknownProtocol() throws {
        #expect(try settings("").incoming == nil)
        #expect(try settings("incoming_host = \"mx.example\"\nincoming_protocol = \"jmap\"").incoming == nil)
    }

    @Test func outgoingIsAlwaysSubmission() throws {
        let settings = try settings("")
        #expect(settings.submission == .init(host: "smtp.alato.example", port: 587, security: .startTLS))
        #expect(settings.submissions == .init(host: "smtp.alato.example", port: 465, security: .tls))
    }
}
