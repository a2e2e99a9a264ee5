import Config
import Testing

/// `[spool]` and `[process]`: defaults, values, refusals.
@Suite struct ProcessConfigurationTests {
    @Test func defaultsApplyWithoutTheTables() throws {
        let configuration = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d")
        #expect(configuration.spool.minFreeSpace == 104_857_600)
        #expect(configuration.process.user == nil)
    }

    @Test func valuesAreRead() throws {
        let text = """
            hostname = "mail.alato.example"
            [spool]
            min_free_space = 0
            [process]
            user = "portcullis"
            """
        let configuration = try Configuration.parse(text, file: "t", dataDirectory: "/d")
        #expect(configuration.spool.minFreeSpace == 0)
        #expect(configuration.process.user == "portcullis")
    }

    /// `portcullis init` writes `[spool]` with the built-in default and no `[process]` user.
    @Test func initFileSpellsOutTheDefaults() throws {
        let written = try Configuration.parse(
            DefaultConfiguration.text(hostname: "mail.alato.example"), file: "portcullis.toml", dataDirectory: "/d")
        #expect(written.spool == Configuration.SpoolSettings())
        #expect(written.process.user == nil)
    }

    @Test("bad values name their key", arguments: [
        ("[spool]\nmin_free_space = -1", "spool.min_free_space"),
        ("[spool]\nmin_free_space = \"100M\"", "spool.min_free_space"),
        ("[spool]\nqueue_minfree = 1", "spool.queue_minfree"),
        ("[process]\nuser = \"\"", "process.user"),
        ("[process]\nuser = \"a:b\"", "process.user"),
        ("[process]\ngroup = \"mail\"", "process.group"),
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
