import Config
import Foundation
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultFileParsesWithLoopbackPorts() throws {
        let configuration = try Configuration.parse(
            DefaultConfiguration.text(hostname: "mail.alato.example"), file: "portcullis.toml", dataDirectory: "/data")
        #expect(configuration.hostname == "mail.alato.example")
        #expect(configuration.smtp.listen == [ListenAddress(host: "127.0.0.1", port: 2525)])
        #expect(configuration.submission.listen == [ListenAddress(host: "127.0.0.1", port: 2587)])
        #expect(configuration.submission.implicitTLSListen == [ListenAddress(host: "127.0.0.1", port: 2465)])
        #expect(configuration.tls.certificatePath == "/data/tls/cert.pem")
        #expect(configuration.directory.location == .sqlite(path: "/data/directory.sqlite"))
        #expect(configuration.submission.maxRecipients == 100)
    }

    @Test func designExampleParses() throws {
        let text = """
            hostname = "mail.alato.example"
            [delivery]
            nameservers = ["127.0.0.1:5353"]
            routes = { "example.net" = "127.0.0.1:2626", "*" = "smarthost:25" }
            [[access_networks]]
            name = "alato-express"
            prefixes = ["203.0.113.0/24", "2001:db8:100::/40"]
            op25b = true
            [[access_networks]]
            name = "alato-biz"
            prefixes = ["198.51.100.0/24"]
            op25b = false
            [op25b]
            mail_hosts = ["198.51.100.25", "2001:db8:25::25"]
            [client_settings]
            submission_host = "smtp.alato.example"
            """
        let configuration = try Configuration.parse(text, file: "t.toml", dataDirectory: "/d")
        #expect(configuration.accessNetworks.map(\.name) == ["alato-express", "alato-biz"])
        #expect(configuration.accessNetworks[1].op25b == false)
        #expect(configuration.op25b.mailHosts == ["198.51.100.25", "2001:db8:25::25"])
        #expect(configuration.delivery.routes["*"] == "smarthost:25")
        #expect(configuration.clientSettings.submissionHost == "smtp.alato.example")
        #expect(configuration.clientSettings.submissionPort == 587)
    }

    @Test(arguments: [
        ("hostname = 5", "hostname", "must be a string"),
        ("[submission]\nmax_recipients = 0", "submission.max_recipients", "between 1 and"),
        ("[submission]\nlisten = [\"127.0.0.1\"]", "submission.listen[0]", "no port"),
        ("[submission]\nlisten = [\"127.0.0.1:99999\"]", "submission.listen[0]", "port must be"),
        ("[smtp]\nlisen = []", "smtp.lisen", "unknown key"),
        ("colour = \"red\"", "colour", "unknown key"),
        ("[directory]\nurl = \"mysql://x\"", "directory.url", "must start with"),
        ("[[access_networks]]\nprefixes = []", "access_networks[0].name", "needs a name"),
        ("[op25b]\nblocked_ports = [0]", "op25b.blocked_ports[0]", "between 1 and 65535"),
        ("[smtp]\ngreet_pause = -1", "smtp.greet_pause", "between 0 and 60000"),
        ("[smtp]\ngreet_pause = 60001", "smtp.greet_pause", "between 0 and 60000"),
        ("[smtp]\ngreet_pause = \"6s\"", "smtp.greet_pause", "must be an integer, found string"),
        ("[smtp]\ngreet_pause = 1.5", "smtp.greet_pause", "must be an integer, found float"),
        ("hostname = 1979-05-27", "hostname", "must be a string, found date-time"),
        ("hostname = [\"a\"]", "hostname", "must be a string, found array"),
        ("hostname = { a = 1 }", "hostname", "must be a string, found table"),
        ("hostname = true", "hostname", "must be a string, found boolean"),
        ("[delivery]\ntls_fallback_to_cleartext = \"yes\"", "delivery.tls_fallback_to_cleartext", "must be true or false, found string"),
        ("tls = 1", "tls", "must be a table, found integer"),
        ("[[smtp]]", "smtp", "must be a table, found array"),
        ("[op25b]\nmail_hosts = \"x\"", "op25b.mail_hosts", "must be an array of strings, found string"),
        ("[op25b]\nmail_hosts = [\"x\", 1]", "op25b.mail_hosts[1]", "must be a string, found integer"),
        ("[delivery]\nroutes = []", "delivery.routes", "must be a table of strings, found array"),
        ("[delivery]\nroutes = { a = 1 }", "delivery.routes.a", "must be a string"),
        ("access_networks = { name = \"x\" }", "access_networks", "must be an array of tables ([[access_networks]])"),
        ("access_networks = [1]", "access_networks[0]", "must be a table"),
    ])
    func badValuesNameTheKey(text: String, key: String, message: String) {
        do {
            _ = try Configuration.parse(text, file: "bad.toml", dataDirectory: "/d")
            Issue.record("accepted bad configuration: \(text)")
        } catch {
            #expect(error.file == "bad.toml")
            #expect(error.key == key)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func greetPauseIsOffByDefault() throws {
        #expect(try Configuration.parse("", file: "t", dataDirectory: "/d").smtp.greetPauseMilliseconds == 0)
        let smtp = try Configuration.parse("[smtp]\ngreet_pause = 6000", file: "t", dataDirectory: "/d").smtp
        #expect(smtp.greetPauseMilliseconds == 6000)
    }

    @Test func deliveryTuningKeys() throws {
        let defaults = try Configuration.parse("", file: "t", dataDirectory: "/d").delivery
        #expect(defaults.retryInitialSeconds == 300 && defaults.retryMaxSeconds == 3600)
        #expect(defaults.maxQueueLifetimeSeconds == 5 * 86_400 && defaults.delayNoticeAfterSeconds == 4 * 3600)
        let tuned = try Configuration.parse("""
            [delivery]
            retry_initial = 60
            retry_max = 600
            max_queue_lifetime = 86400
            tls_fallback_to_cleartext = true
            """, file: "t", dataDirectory: "/d").delivery
        #expect(tuned.retryInitialSeconds == 60 && tuned.retryMaxSeconds == 600)
        #expect(tuned.maxQueueLifetimeSeconds == 86_400 && tuned.tlsFallbackToCleartext)
        #expect(throws: ConfigurationError.self) {
            try Configuration.parse("[delivery]\nretry_initial = 600\nretry_max = 60", file: "t", dataDirectory: "/d")
        }
    }

    /// Malformed TOML found by Fuzz/Targets/FuzzConfiguration: each is one error with its line
    /// and column, never an abort.
    @Test(arguments: [
        ("hostname = \"x\"\n[smtp]\nlisen = \"x\"\n[= [\":25\"]\n", "line 4, column 2: expected a key, found '='"),
        ("[=]", "line 1, column 2: expected a key, found '='"),
        ("[[ %a ]]\nb = 1", "line 1, column 4: expected a key, found '%'"),
        ("\t[ .x]", "line 1, column 4: expected a key, found '.'"),
        ("a = 1979-05-27T:7:32:00Z", "line 1, column 16: invalid date-time: expected 2 digits for the hour, found ':'"),
        ("hostname = ", "line 1, column 12: expected a value, found the end of the document"),
    ])
    func malformedTOMLIsOneErrorNotACrash(text: String, message: String) {
        #expect(throws: ConfigurationError(file: "t", key: nil, message: "not valid TOML: \(message)")) {
            try Configuration.parse(text, file: "t", dataDirectory: "/d")
        }
    }

    /// The same characters inside a multi-line string are text, not a header.
    @Test func bracketLineInsideMultilineStringIsNotAHeader() {
        // Valid TOML, refused only because "note" is an unknown key.
        let unknownKey = ConfigurationError(file: "t", key: "note", message: "unknown key (misspelt? see the configuration reference in README.md)")
        for text in ["note = \"\"\"\n[= not a header\n\"\"\"\n", "note = '''\n[= not a header\n'''\n"] {
            #expect(throws: unknownKey) {
                try Configuration.parse(text, file: "t", dataDirectory: "/d")
            }
        }
    }

    @Test func tomlSyntaxErrorNamesFile() {
        #expect(throws: ConfigurationError(file: "broken.toml", key: nil, message: "not valid TOML: line 2, column 1: key a is defined twice")) {
            try Configuration.parse("a = 1\na = 2", file: "broken.toml", dataDirectory: "/d")
        }
    }

    /// `load` reads bytes, so a file that is not UTF-8 is a TOML error at its line and column.
    @Test func fileThatIsNotUTF8IsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-\(UUID().uuidString).toml").path
        try Data(Array("hostname = \"mail.alato.example\"\n# caf".utf8) + [0xE9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigurationError(file: path, key: nil, message: "not valid TOML: line 2, column 6: invalid UTF-8 (byte 0xE9 does not start a valid sequence)")) {
            try Configuration.load(file: path)
        }
    }

    /// The configuration reference in README.md is a working file.
    @Test func readmeExampleParses() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Configuration"))
        let start = try #require(readme.range(of: "```toml\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
        let configuration = try Configuration.parse(String(readme[start.upperBound..<end.lowerBound]), file: "README.md", dataDirectory: "/d")
        #expect(configuration.hostname == "mail.alato.example")
        #expect(configuration.accessNetworks.map(\.name) == ["alato-express"])
        #expect(configuration.op25b.mailHosts == ["198.51.100.25", "2001:db8:25::25"])
        #expect(configuration.delivery.maxConnectionsPerDestination == 4)
        #expect(configuration.process.user == "portcullis")
        #expect(configuration.clientSettings.submissionHost == "smtp.alato.example")
    }

    @Test(arguments: [
        ("[::1]:2587", ListenAddress(host: "::1", port: 2587)),
        (":25", ListenAddress(host: "::", port: 25)),
        ("0.0.0.0:587", ListenAddress(host: "0.0.0.0", port: 587)),
    ])
    func listenAddressForms(text: String, expected: ListenAddress) throws {
        #expect(try ListenAddress.parse(text).get() == expected)
    }
}
