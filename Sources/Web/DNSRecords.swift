import Foundation

/// The zone records a hosted domain publishes so that mail reaches this
/// installation and clients configure themselves, as zone-file lines for
/// `portcullis dns-records DOMAIN`.
///
/// - MX: the installation's `hostname` (priority 10), RFC 5321 §5.1.
/// - SPF (RFC 7208): `mx`, plus the `[op25b] mail_hosts` (the ISP's relays,
///   which send the mail out) as `ip4:`/`ip6:`, plus the submission host when it
///   is another name; `-all` for everything else.
/// - DMARC (RFC 7489 §6.3): `p=quarantine` as a cautious start, reports to
///   `postmaster@DOMAIN` (RFC 5321 §4.5.1 requires that mailbox anyway).
/// - RFC 6186 §3.1 SRV for `_submission._tcp` and RFC 8314 §5.1 for
///   `_submissions._tcp`; RFC 6186 §3.3 and RFC 8314 §5.1 for the POP3
///   service: `_pop3s._tcp` with priority 0 and `_pop3._tcp` with priority 10,
///   so that a client comparing both (RFC 6186 §3.4) prefers 995, as every
///   other setup path does.
///   `_imaps._tcp` and `_imap._tcp` say "not offered" (target `.`, RFC 6186
///   §4) unless `[client_settings]` names an IMAP server elsewhere; then its
///   one service is published and the other still says "not offered".
/// - `autoconfig` and `autodiscover` CNAMEs and an `_autodiscover._tcp` SRV
///   (port 443) towards `webHost` (`[web] public_host`, else `hostname`).
/// - DKIM TXT lines as given (from the DKIM module), or a note that there are none yet.
///
/// Assumptions, stated in the output as well: the web service answers on
/// `webHost` over HTTPS; owner names are absolute (trailing dot) and carry no
/// TTL, so the zone's default applies.
///
/// `hostname` is the installation's (the MX), `webHost` the name customers are
/// told, `settings` what clients are given, `mailHosts` the `[op25b] mail_hosts`.
///
/// Throws ``AddressProblem/invalidDomain`` (or `.domainTooLong`) when `domain`
/// is not a host name; internationalised names are converted to A-labels.
public func dnsRecords(domain: String, hostname: String, webHost: String? = nil, settings: MailSettings,
                       mailHosts: [String], dkimRecords: [String]) throws(AddressProblem) -> String {
    let name = try IDNA.toASCII(domain)
    func bare(_ host: String) -> String { host.hasSuffix(".") ? String(host.dropLast()) : host }
    let host = bare(hostname)
    let web = bare(webHost ?? hostname)
    var records: [(owner: String, type: String, data: String)] = []
    func fqdn(_ name: String) -> String { name + "." }

    records.append((fqdn(name), "MX", "10 \(fqdn(host))"))

    var spf = ["v=spf1", "mx"]
    for entry in mailHosts {
        spf.append(entry.contains(":") ? "ip6:\(entry)" : "ip4:\(entry)")
    }
    if settings.submission.host.lowercased() != host.lowercased() {
        spf.append("a:\(settings.submission.host)")
    }
    spf.append("-all")
    records.append((fqdn(name), "TXT", "\"\(spf.joined(separator: " "))\""))
    records.append((fqdn("_dmarc.\(name)"), "TXT", "\"v=DMARC1; p=quarantine; rua=mailto:postmaster@\(name)\""))

    // RFC 6186 §3.1: priority, weight, port, target.
    records.append((fqdn("_submission._tcp.\(name)"), "SRV", "0 1 \(settings.submission.port) \(fqdn(settings.submission.host))"))
    records.append((fqdn("_submissions._tcp.\(name)"), "SRV", "0 1 \(settings.submissions.port) \(fqdn(settings.submissions.host))"))
    for incoming in settings.incoming {
        let priority = incoming.endpoint.security == .tls ? 0 : 10
        records.append((fqdn("_\(incoming.srvService)._tcp.\(name)"), "SRV",
                        "\(priority) 1 \(incoming.endpoint.port) \(fqdn(incoming.endpoint.host))"))
    }
    // RFC 6186 §4: a target of "." says the service is not offered, so clients stop looking.
    let offered = Set(settings.incoming.map(\.srvService))
    for service in ["imaps", "imap"] where !offered.contains(service) {
        records.append((fqdn("_\(service)._tcp.\(name)"), "SRV", "0 0 0 ."))
    }

    records.append((fqdn("autoconfig.\(name)"), "CNAME", fqdn(web)))
    records.append((fqdn("autodiscover.\(name)"), "CNAME", fqdn(web)))
    records.append((fqdn("_autodiscover._tcp.\(name)"), "SRV", "0 1 443 \(fqdn(web))"))

    let width = records.map(\.owner.count).max() ?? 0
    var lines = [
        "; DNS records for \(name), to publish in its zone.",
        "; Mail for \(name) is received by \(host); clients submit to \(settings.submission.host)"
            + " (port \(settings.submission.port) STARTTLS or \(settings.submissions.port) TLS, with authentication)"
            + " and read it over POP3 from \(settings.pop3s.host) (port \(settings.pop3s.port) TLS or \(settings.pop3.port) STLS).",
        settings.imap.map { "; IMAP is served by \($0.host) (port \($0.port) \($0.security == .tls ? "TLS" : "STARTTLS"))." }
            ?? "; IMAP is not offered: the _imaps and _imap records say so (RFC 6186 §4).",
        "; Assumes the web service (autoconfig, autodiscover) answers on https://\(web)/.",
    ]
    if !host.contains(".") {
        lines.append("; WARNING: hostname \"\(host)\" is not a public host name; set `hostname` in portcullis.toml first.")
    }
    for record in records {
        let padding = String(repeating: " ", count: width - record.owner.count)
        lines.append("\(record.owner)\(padding) IN \(record.type.padding(toLength: 5, withPad: " ", startingAt: 0)) \(record.data)")
    }
    if dkimRecords.isEmpty {
        lines.append("; DKIM: no keys yet; the DKIM TXT record appears here once a key exists.")
    } else {
        lines.append("; DKIM (RFC 6376 §3.6.1):")
        lines.append(contentsOf: dkimRecords)
    }
    return lines.joined(separator: "\n") + "\n"
}
