import Config
import Testing

/// `[client_settings]`: what customers are told. Defaults, derived hosts, IMAP, refusals.
@Suite struct ClientSettingsConfigurationTests {
    func parse(_ text: String) throws -> Configuration.ClientSettings {
        try Configuration.parse("hostname = \"mx1.alato.example\"\n" + text, file: "t", dataDirectory: "/d").clientSettings
    }

    @Test func defaultsAreTheProductionPortsOnTheHostname() throws {
        let settings = try parse("")
        #expect(settings == Configuration.ClientSettings(host: "mx1.alato.example"))
        #expect(settings.submissionHost == "mx1.alato.example")
        #expect(settings.pop3Host == "mx1.alato.example")
        #expect([settings.submissionPort, settings.submissionsPort, settings.pop3Port, settings.pop3sPort] == [587, 465, 110, 995])
        #expect(settings.imap == nil)
    }

    @Test func publicHostIsTheDefaultHost() throws {
        let settings = try parse("[web]\npublic_host = \"mail.alato.example\"\n")
        #expect(settings.submissionHost == "mail.alato.example")
        #expect(settings.pop3Host == "mail.alato.example")
        // A host named in [client_settings] wins.
        let named = try parse("[web]\npublic_host = \"mail.alato.example\"\n[client_settings]\npop3_host = \"pop.alato.example\"\n")
        #expect(named.pop3Host == "pop.alato.example")
        #expect(named.submissionHost == "mail.alato.example")
    }

    @Test(arguments: [
        ("imap_host = \"imap.alato.example\"", 993, Configuration.ClientSettings.IMAPSecurity.tls),
        ("imap_host = \"imap.alato.example\"\nimap_port = 143", 143, .starttls),
        ("imap_host = \"imap.alato.example\"\nimap_security = \"starttls\"", 143, .starttls),
        ("imap_host = \"imap.alato.example\"\nimap_port = 10993", 10993, .tls),
        ("imap_host = \"imap.alato.example\"\nimap_port = 10143\nimap_security = \"starttls\"", 10143, .starttls),
    ])
    func imapServerElsewhere(lines: String, port: Int, security: Configuration.ClientSettings.IMAPSecurity) throws {
        let settings = try parse("[client_settings]\n\(lines)\n")
        #expect(settings.imap == .init(host: "imap.alato.example", port: port, security: security))
    }

    @Test func everyKeyIsRead() throws {
        let settings = try parse("""
            [client_settings]
            submission_host = "smtp.alato.example"
            submission_port = 10587
            submissions_port = 10465
            pop3_host = "pop.alato.example"
            pop3_port = 10110
            pop3s_port = 10995
            """)
        #expect(settings.submissionHost == "smtp.alato.example")
        #expect([settings.submissionPort, settings.submissionsPort, settings.pop3Port, settings.pop3sPort] == [10587, 10465, 10110, 10995])
        #expect(settings.pop3Host == "pop.alato.example")
    }

    @Test("bad values name their key", arguments: [
        ("pop3_host = \"pop alato\"", "client_settings.pop3_host"),
        ("submission_host = \"a/b\"", "client_settings.submission_host"),
        ("pop3_port = 0", "client_settings.pop3_port"),
        ("pop3s_port = 110", "client_settings.pop3_port"),
        ("imap_port = 993", "client_settings.imap_port"),
        ("imap_security = \"tls\"", "client_settings.imap_security"),
        ("imap_host = \"imap.alato.example\"\nimap_security = \"ssl\"", "client_settings.imap_security"),
        ("imaps_port = 993", "client_settings.imaps_port"),
    ])
    func refused(lines: String, key: String) {
        do {
            _ = try parse("[client_settings]\n\(lines)\n")
            Issue.record("accepted: \(lines)")
        } catch let error as ConfigurationError {
            #expect(error.key == key)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: ["incoming_host = \"imap.alato.example\"", "incoming_protocol = \"pop3\"", "incoming_port = 995"])
    func theEarlierIncomingKeysExplainTheirRename(line: String) {
        do {
            _ = try parse("[client_settings]\n\(line)\n")
            Issue.record("accepted: \(line)")
        } catch let error as ConfigurationError {
            #expect(error.key?.hasPrefix("client_settings.incoming_") == true)
            #expect(error.message.contains("pop3_host"))
            #expect(error.message.contains("imap_host"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func initFileSpellsOutTheDefaults() throws {
        let written = try Configuration.parse(
            DefaultConfiguration.text(hostname: "mail.alato.example"), file: "portcullis.toml", dataDirectory: "/d")
        #expect(written.clientSettings == Configuration.ClientSettings(host: "mail.alato.example"))
    }
}
