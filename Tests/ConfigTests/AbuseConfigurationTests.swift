import Config
import Testing

/// `[abuse]`: defaults, every key, and refusals.
@Suite struct AbuseConfigurationTests {
    @Test func defaultsApplyWithoutTheTable() throws {
        let abuse = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d").abuse
        #expect(abuse.messagesPerHour == 100)
        #expect(abuse.recipientsPerDay == 1000)
        #expect(abuse.connectionsPerMinute == 300)
        #expect(abuse.authFailureLimit == 10)
        #expect(abuse.authFailureWindowSeconds == 600)
        #expect(abuse.authLockoutSeconds == 900)
        #expect(abuse.burstWindowSeconds == 600)
        #expect(abuse.burstMinimumRecipients == 200)
        #expect(abuse.burstFactor == 10)
        #expect(abuse.burstBaselineHours == 24)
        #expect(abuse.postmaster == "postmaster@mail.alato.example")
        #expect(abuse.clockOffsetFile == nil)
    }

    @Test func everyKeyIsRead() throws {
        let text = """
            hostname = "mail.alato.example"
            [abuse]
            messages_per_hour = 7
            recipients_per_day = 70
            connections_per_minute = 0
            auth_failure_limit = 5
            auth_failure_window = 300
            auth_lockout = 60
            burst_window = 120
            burst_min_recipients = 50
            burst_factor = 4
            burst_baseline_hours = 48
            postmaster = "postmaster@alato.example"
            clock_offset_file = "clock-offset"
            """
        let abuse = try Configuration.parse(text, file: "t", dataDirectory: "/d").abuse
        #expect(abuse.messagesPerHour == 7)
        #expect(abuse.recipientsPerDay == 70)
        #expect(abuse.connectionsPerMinute == 0)
        #expect(abuse.authFailureLimit == 5)
        #expect(abuse.authFailureWindowSeconds == 300)
        #expect(abuse.authLockoutSeconds == 60)
        #expect(abuse.burstWindowSeconds == 120)
        #expect(abuse.burstMinimumRecipients == 50)
        #expect(abuse.burstFactor == 4)
        #expect(abuse.burstBaselineHours == 48)
        #expect(abuse.postmaster == "postmaster@alato.example")
        #expect(abuse.clockOffsetFile == "/d/clock-offset")
    }

    @Test("bad values name their key", arguments: [
        ("messages_per_hour = -1", "abuse.messages_per_hour"),
        ("burst_window = 10", "abuse.burst_window"),
        ("postmaster = \"not an address\"", "abuse.postmaster"),
        ("postmaster = \"@alato.example\"", "abuse.postmaster"),
        ("max_messages = 3", "abuse.max_messages"),
    ])
    func refused(line: String, key: String) {
        let text = "hostname = \"mail.alato.example\"\n[abuse]\n\(line)\n"
        #expect(throws: ConfigurationError.self) { try Configuration.parse(text, file: "t", dataDirectory: "/d") }
        do {
            _ = try Configuration.parse(text, file: "t", dataDirectory: "/d")
        } catch {
            #expect(error.key == key)
        }
    }
}

@Suite struct AbuseDefaultFileTests {
    /// `portcullis init` writes the `[abuse]` table with the same values as the built-in defaults.
    @Test func initFileSpellsOutTheDefaults() throws {
        let written = try Configuration.parse(
            DefaultConfiguration.text(hostname: "mail.alato.example"), file: "portcullis.toml", dataDirectory: "/d").abuse
        let builtIn = try Configuration.parse("hostname = \"mail.alato.example\"", file: "t", dataDirectory: "/d").abuse
        #expect(written == builtIn)
        #expect(DefaultConfiguration.text(hostname: "mail.alato.example").contains("[abuse]"))
    }
}
