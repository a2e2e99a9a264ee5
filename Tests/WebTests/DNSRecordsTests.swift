import Testing
@testable import Web

@Suite struct DNSRecordsTests {
    /// The records as (owner, type, data), comments dropped.
    func records(_ text: String) -> [(String, String, String)] {
        text.split(separator: "\n").filter { !$0.hasPrefix(";") }.compactMap { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 4, parts[1] == "IN" else { return nil }
            return (String(parts[0]), String(parts[2]), parts[3...].joined(separator: " "))
        }
    }

    /// The zone lines for `domain` with the fixture's settings.
    func records(for domain: String, settings: WebSettings = Fixture.settings,
                 dkimRecords: [String] = []) throws(AddressProblem) -> String {
        try dnsRecords(domain: domain, hostname: settings.hostname, settings: settings.mail,
                       mailHosts: Fixture.mailHosts, dkimRecords: dkimRecords)
    }

    @Test func recordsForAVirtualDomain() throws {
        let text = try records(for: "virtual.example",
                                  dkimRecords: ["sel._domainkey.virtual.example. IN TXT \"v=DKIM1; k=ed25519; p=AAAA\""])
        let all = records(text)
        func data(_ owner: String, _ type: String) -> [String] { all.filter { $0.0 == owner && $0.1 == type }.map(\.2) }
        #expect(data("virtual.example.", "MX") == ["10 mail.alato.example."])
        #expect(data("virtual.example.", "TXT") == ["\"v=spf1 mx ip4:198.51.100.25 ip6:2001:db8:25::25 a:smtp.alato.example -all\""])
        #expect(data("_dmarc.virtual.example.", "TXT") == ["\"v=DMARC1; p=quarantine; rua=mailto:postmaster@virtual.example\""])
        #expect(data("_submission._tcp.virtual.example.", "SRV") == ["0 1 587 smtp.alato.example."])
        #expect(data("_submissions._tcp.virtual.example.", "SRV") == ["0 1 465 smtp.alato.example."])
        #expect(data("_imaps._tcp.virtual.example.", "SRV") == ["0 1 993 imap.alato.example."])
        #expect(data("autoconfig.virtual.example.", "CNAME") == ["mail.alato.example."])
        #expect(data("autodiscover.virtual.example.", "CNAME") == ["mail.alato.example."])
        #expect(data("_autodiscover._tcp.virtual.example.", "SRV") == ["0 1 443 mail.alato.example."])
        #expect(text.contains("sel._domainkey.virtual.example. IN TXT \"v=DKIM1; k=ed25519; p=AAAA\""))
        #expect(!all.contains { $0.2.contains(" 25 ") })
    }

    @Test func noIncomingServerMeansNoMailboxSRV() throws {
        let text = try records(for: "virtual.example", settings: Fixture.settingsWithoutIncoming)
        #expect(!text.contains("_imap"))
        #expect(!text.contains("_pop3"))
        #expect(text.contains("; DKIM: no keys yet"))
    }

    @Test func idnDomainIsWrittenInPunycode() throws {
        let text = try records(for: "ドメイン名例.example")
        #expect(text.contains("xn--eckwd4c7cu47r2wf.example. "))
    }

    @Test func invalidDomainIsRefused() throws {
        #expect(throws: AddressProblem.invalidDomain) {
            try records(for: "bad..example")
        }
    }
}
