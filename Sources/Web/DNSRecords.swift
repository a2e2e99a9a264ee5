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
///   `_submissions._tcp`; `_imaps`/`_imap`/`_pop3s`/`_pop3` for the incoming
///   server when `[client_settings]` names one.
/// - `autoconfig` and `autodiscover` CNAMEs and an `_autodiscover._tcp` SRV
///   (port 443) towards `hostname`.
/// - DKIM TXT lines as given (from the DKIM module), or a note that there are none yet.
///
/// Assumptions, stated in the output as well: the web service answers on
/// `hostname` over HTTPS (there is no separate web host name in the
/// configuration yet); owner names are absolute (trailing dot) and carry no
/// TTL, so the zone's default applies.
///
/// `hostname` is the installation's, `settings` what clients are given, `mailHosts` the
/// `[op25b] mail_hosts`.
///
/// Throws ``AddressProblem/invalidDomain`` (or `.domainTooLong`) when `domain`
/// is not a host name; internationalised names are converted to A-labels.
public func dnsRecords(domain: String, hostname: String, settings: MailSettings, mailHosts: [String],
                       dkimRecords: [String]) throws(AddressProblem) -> String {
    let name = try IDNA.toASCII(domain)
    let host = hostname.hasSuffix(".") ? String(hostname.dropLast()) : hostname
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
    if let incoming = settings.incoming {
        let base = incoming.protocol == .imap ? "imap" : "pop3"
        let service = incoming.endpoint.security == .tls ? base + "s" : base
        records.append((fqdn("_\(service)._tcp.\(name)"), "SRV",
                        "0 1 \(incoming.endpoint.port) \(fqdn(incoming.endpoint.host))"))
    }

    records.append((fqdn("autoconfig.\(name)"), "CNAME", fqdn(host)))
    records.append((fqdn("autodiscover.\(name)"), "CNAME", fqdn(host)))
    records.append((fqdn("_autodiscover._tcp.\(name)"), "SRV", "0 1 443 \(fqdn(host))"))

    let width = records.map(\.owner.count).max() ?? 0
    var lines = [
        "; DNS records for \(name), to publish in its zone.",
        "; Mail for \(name) is received by \(host); clients submit to \(settings.submission.host)"
            + " (port \(settings.submission.port) STARTTLS or \(settings.submissions.port) TLS, with authentication).",
        "; Assumes the web service (autoconfig, autodiscover) answers on https://\(host)/.",
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
