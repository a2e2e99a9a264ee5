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
    func records(for domain: String, settings: WebSettings = Fixture.settings, webHost: String? = nil,
                 dkimRecords: [String] = []) throws(AddressProblem) -> String {
        try dnsRecords(domain: domain, hostname: settings.hostname, webHost: webHost, settings: settings.mail,
                       mailHosts: Fixture.mailHosts, dkimRecords: dkimRecords)
    }

    func data(_ text: String, _ owner: String, _ type: String) -> [String] {
        records(text).filter { $0.0 == owner && $0.1 == type }.map(\.2)
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
        // RFC 6186 §3.3: POP3 over TLS preferred; RFC 6186 §4: IMAP not offered.
        #expect(data("_pop3s._tcp.virtual.example.", "SRV") == ["0 1 995 pop.alato.example."])
        #expect(data("_pop3._tcp.virtual.example.", "SRV") == ["10 1 110 pop.alato.example."])
        #expect(data("_imaps._tcp.virtual.example.", "SRV") == ["0 0 0 ."])
        #expect(data("_imap._tcp.virtual.example.", "SRV") == ["0 0 0 ."])
        #expect(data("autoconfig.virtual.example.", "CNAME") == ["mail.alato.example."])
        #expect(data("autodiscover.virtual.example.", "CNAME") == ["mail.alato.example."])
        #expect(data("_autodiscover._tcp.virtual.example.", "SRV") == ["0 1 443 mail.alato.example."])
        #expect(text.contains("sel._domainkey.virtual.example. IN TXT \"v=DKIM1; k=ed25519; p=AAAA\""))
        #expect(!all.contains { $0.2.contains(" 25 ") })
    }

    @Test func anIMAPServerElsewhereIsPublished() throws {
        let text = try records(for: "alato.example", settings: Fixture.settingsWithIMAP)
        #expect(data(text, "_imaps._tcp.alato.example.", "SRV") == ["0 1 993 imap.alato.example."])
        // Only 993 is named: 143 stays "not offered".
        #expect(data(text, "_imap._tcp.alato.example.", "SRV") == ["0 0 0 ."])
        #expect(data(text, "_pop3s._tcp.alato.example.", "SRV") == ["0 1 995 pop.alato.example."])
        #expect(text.contains("; IMAP is served by imap.alato.example (port 993 TLS)."))

        var starttls = Fixture.settings
        starttls.mail.imap = .init(host: "imap.alato.example", port: 143, security: .startTLS)
        let other = try records(for: "alato.example", settings: starttls)
        #expect(data(other, "_imap._tcp.alato.example.", "SRV") == ["10 1 143 imap.alato.example."])
        #expect(data(other, "_imaps._tcp.alato.example.", "SRV") == ["0 0 0 ."])
        #expect(text.contains("; DKIM: no keys yet"))
    }

    @Test func publicHostCarriesTheWebNames() throws {
        let text = try records(for: "alato.example", webHost: "www.alato.example")
        #expect(data(text, "alato.example.", "MX") == ["10 mail.alato.example."])
        #expect(data(text, "autoconfig.alato.example.", "CNAME") == ["www.alato.example."])
        #expect(data(text, "autodiscover.alato.example.", "CNAME") == ["www.alato.example."])
        #expect(data(text, "_autodiscover._tcp.alato.example.", "SRV") == ["0 1 443 www.alato.example."])
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
