import Config
import Testing

/// `[op25b]` keys of the infected-line verdict: defaults, every key, and refusals.
@Suite struct OP25BConfigurationTests {
    @Test func defaultsApplyWithoutTheKeys() throws {
        let configuration = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d")
        let op25b = configuration.op25b
        #expect(!op25b.collect)
        #expect(op25b.sampleIntervalSeconds == 60)
        #expect(op25b.countersFile == nil)
        #expect(op25b.infectedThreshold == 100)
        #expect(op25b.infectedMinDestinations == 10)
        // The notice goes to the postmaster unless an abuse contact is named.
        #expect(op25b.abuseContact == "postmaster@mail.alato.example")
        let other = try Configuration.parse(
            "hostname = \"mail.alato.example\"\n[abuse]\npostmaster = \"pm@alato.example\"\n", file: "t", dataDirectory: "/d")
        #expect(other.op25b.abuseContact == "pm@alato.example")
    }

    @Test func everyKeyIsRead() throws {
        let text = """
            hostname = "mail.alato.example"
            [op25b]
            mail_hosts = ["198.51.100.25"]
            collect = true
            sample_interval = 5
            counters_file = "router/op25b.json"
            infected_threshold = 50
            infected_min_destinations = 3
            abuse_contact = "abuse@alato.example"
            """
        let op25b = try Configuration.parse(text, file: "t", dataDirectory: "/d").op25b
        #expect(op25b.collect)
        #expect(op25b.sampleIntervalSeconds == 5)
        #expect(op25b.countersFile == "/d/router/op25b.json")
        #expect(op25b.infectedThreshold == 50)
        #expect(op25b.infectedMinDestinations == 3)
        #expect(op25b.abuseContact == "abuse@alato.example")
    }

    @Test("bad values name their key", arguments: [
        ("sample_interval = 0", "op25b.sample_interval"),
        ("infected_threshold = 0", "op25b.infected_threshold"),
        ("infected_min_destinations = -1", "op25b.infected_min_destinations"),
        ("abuse_contact = \"abuse\"", "op25b.abuse_contact"),
        ("collect = \"yes\"", "op25b.collect"),
    ])
    func refused(line: String, key: String) {
        let text = "hostname = \"mail.alato.example\"\n[op25b]\n\(line)\n"
        do {
            _ = try Configuration.parse(text, file: "t", dataDirectory: "/d")
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.key == key)
        }
    }
}
