import Config
import Testing

/// `[mailbox]`: the mail store, its LMTP address, and what it turns off.
@Suite struct MailboxConfigurationTests {
    private func parse(_ lines: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse("hostname = \"mx1.alato.example\"\n\(lines)\n", file: "t", dataDirectory: "/d")
    }

    @Test func maildirIsTheDefault() throws {
        let configuration = try parse("")
        #expect(configuration.mailbox.store == .maildir)
        #expect(!configuration.pop3.listen.isEmpty)
    }

    @Test("LMTP addresses", arguments: [
        ("127.0.0.1:24", Configuration.LMTPAddress.tcp(host: "127.0.0.1", port: 24)),
        ("[2001:db8::7]:2424", .tcp(host: "2001:db8::7", port: 2424)),
        ("/run/dovecot/lmtp", .unix(path: "/run/dovecot/lmtp")),
    ])
    func lmtpAddresses(text: String, expected: Configuration.LMTPAddress) throws {
        let configuration = try parse("[mailbox]\nstore = \"lmtp\"\nlmtp = \"\(text)\"")
        #expect(configuration.mailbox.store == .lmtp(expected))
        // Dovecot serves POP3 then: Portcullis' own listeners are off.
        #expect(configuration.pop3.listen.isEmpty)
        #expect(configuration.pop3.implicitTLSListen.isEmpty)
    }

    @Test func lmtpAllowsExplicitlyEmptyPOP3Listeners() throws {
        let configuration = try parse("[mailbox]\nstore = \"lmtp\"\nlmtp = \"127.0.0.1:24\"\n[pop3]\nlisten = []\nimplicit_tls_listen = []")
        #expect(configuration.pop3.listen.isEmpty)
    }

    @Test("refusals name their key and say why", arguments: [
        ("[mailbox]\nstore = \"lmtp\"", "mailbox.lmtp", "is required"),
        ("[mailbox]\nlmtp = \"127.0.0.1:24\"", "mailbox.lmtp", "only used with store"),
        ("[mailbox]\nstore = \"mbox\"", "mailbox.store", "\"maildir\" or \"lmtp\""),
        ("[mailbox]\nstore = \"lmtp\"\nlmtp = \"dovecot.example:24\"", "mailbox.lmtp", "IP address"),
        ("[mailbox]\nstore = \"lmtp\"\nlmtp = \"127.0.0.1\"", "mailbox.lmtp", "socket path"),
        ("[mailbox]\nstore = \"lmtp\"\nlmtp = \"run/lmtp\"", "mailbox.lmtp", "socket path"),
        ("[mailbox]\nstore = \"lmtp\"\nlmtp = \"127.0.0.1:24\"\n[pop3]\nlisten = [\"127.0.0.1:110\"]",
         "pop3.listen", "must be empty"),
        ("[mailbox]\nstore = \"lmtp\"\nlmtp = \"127.0.0.1:24\"\n[pop3]\nimplicit_tls_listen = [\"127.0.0.1:995\"]",
         "pop3.implicit_tls_listen", "must be empty"),
    ])
    func refused(lines: String, key: String, says: String) {
        do {
            _ = try parse(lines)
            Issue.record("accepted: \(lines)")
        } catch {
            #expect(error.key == key)
            #expect(error.message.contains(says), "\(error.message)")
        }
    }
}
