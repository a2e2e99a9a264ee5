import Config
import Testing

/// `[metrics]`: off unless listed, addresses read like every listener's, unknown keys refused.
@Suite struct MetricsConfigurationTests {
    @Test func offWithoutTheTableOrWithAnEmptyList() throws {
        let absent = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d")
        #expect(absent.metrics.listen.isEmpty)
        let empty = try Configuration.parse("hostname = \"mail.alato.example\"\n[metrics]\nlisten = []", file: "t", dataDirectory: "/d")
        #expect(empty.metrics.listen.isEmpty)
    }

    @Test func listenAddressesAreRead() throws {
        let text = """
            hostname = "mail.alato.example"
            [metrics]
            listen = ["127.0.0.1:9587", "[::1]:9587"]
            """
        let configuration = try Configuration.parse(text, file: "t", dataDirectory: "/d")
        #expect(configuration.metrics.listen == [ListenAddress(host: "127.0.0.1", port: 9587),
                                                 ListenAddress(host: "::1", port: 9587)])
    }

    @Test("bad values name their key", arguments: [
        ("[metrics]\nlisten = \"127.0.0.1:9587\"", "metrics.listen"),
        ("[metrics]\nlisten = [\"127.0.0.1\"]", "metrics.listen[0]"),
        ("[metrics]\npath = \"/metrics\"", "metrics.path"),
    ])
    func refused(lines: String, key: String) {
        do {
            _ = try Configuration.parse("hostname = \"mail.alato.example\"\n\(lines)\n", file: "t", dataDirectory: "/d")
            Issue.record("accepted: \(lines)")
        } catch {
            #expect(error.key == key)
        }
    }
}
