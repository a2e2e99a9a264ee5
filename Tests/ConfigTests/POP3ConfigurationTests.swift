import Config
import Testing

/// `[pop3]` and `[web] public_host`: defaults, values, refusals.
@Suite struct POP3ConfigurationTests {
    @Test func defaultsApplyWithoutTheTable() throws {
        let configuration = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d")
        #expect(configuration.pop3.listen == [ListenAddress(host: "127.0.0.1", port: 2110)])
        #expect(configuration.pop3.implicitTLSListen == [ListenAddress(host: "127.0.0.1", port: 2995)])
        #expect(configuration.pop3.idleTimeoutSeconds == 600)
        #expect(configuration.web.publicHost == nil)
    }

    @Test func valuesAreRead() throws {
        let text = """
            hostname = "mx1.alato.example"
            [pop3]
            listen = ["0.0.0.0:110"]
            implicit_tls_listen = []
            idle_timeout = 1800
            [web]
            public_host = "mail.alato.example"
            """
        let configuration = try Configuration.parse(text, file: "t", dataDirectory: "/d")
        #expect(configuration.pop3.listen == [ListenAddress(host: "0.0.0.0", port: 110)])
        #expect(configuration.pop3.implicitTLSListen.isEmpty)
        #expect(configuration.pop3.idleTimeoutSeconds == 1800)
        #expect(configuration.web.publicHost == "mail.alato.example")
    }

    @Test func initFileSpellsOutTheDefaults() throws {
        let written = try Configuration.parse(
            DefaultConfiguration.text(hostname: "mail.alato.example"), file: "portcullis.toml", dataDirectory: "/d")
        #expect(written.pop3 == Configuration.POP3())
    }

    @Test("bad values name their key", arguments: [
        // RFC 1939 §3: the autologout timer is at least 10 minutes.
        ("[pop3]\nidle_timeout = 60", "pop3.idle_timeout"),
        ("[pop3]\nlisten = \"127.0.0.1:110\"", "pop3.listen"),
        ("[pop3]\nlisten = [\"nowhere\"]", "pop3.listen[0]"),
        ("[pop3]\nmax_sessions = 1", "pop3.max_sessions"),
        ("[web]\npublic_host = \"a b\"", "web.public_host"),
    ])
    func refused(lines: String, key: String) {
        let text = "hostname = \"mail.alato.example\"\n\(lines)\n"
        do {
            _ = try Configuration.parse(text, file: "t", dataDirectory: "/d")
            Issue.record("accepted: \(lines)")
        } catch {
            #expect(error.key == key)
        }
    }
}
