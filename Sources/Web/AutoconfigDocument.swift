/// The Thunderbird autoconfig document (`config-v1.1.xml`, the "clientConfig"
/// format Thunderbird fetches from `autoconfig.<domain>` and
/// `<domain>/.well-known/autoconfig/`) for one hosted domain.
///
/// Incoming servers are POP3 with implicit TLS (995) first and POP3 with STLS
/// (110) second, then IMAP when `[client_settings]` names an IMAP server;
/// Thunderbird offers the first of a type unless it cannot connect.
/// Outgoing servers are always the submission service with authentication:
/// port 587 with STARTTLS first (RFC 6409), then 465 with implicit TLS
/// (RFC 8314). Port 25 never appears. The user name is the placeholder
/// `%EMAILADDRESS%`: Thunderbird substitutes the full address, which is the
/// account name here.
public struct AutoconfigDocument: Sendable {
    /// The domain the document is for (A-label form).
    public let domain: String
    public let settings: MailSettings
    /// `displayName`: what the account wizard shows as the provider.
    public let displayName: String

    public init(domain: String, settings: MailSettings, displayName: String) {
        self.domain = domain
        self.settings = settings
        self.displayName = displayName
    }

    /// The XML text, UTF-8.
    public func render() -> String {
        let e = MarkupText.escape
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <clientConfig version="1.1">
              <emailProvider id="\(e(domain))">
                <domain>\(e(domain))</domain>
                <displayName>\(e(displayName))</displayName>
                <displayShortName>\(e(domain))</displayShortName>

            """
        for incoming in settings.incoming {
            let type = incoming.protocol == .imap ? "imap" : "pop3"
            xml += server(element: "incomingServer", type: type, endpoint: incoming.endpoint)
        }
        for endpoint in settings.outgoing {
            xml += server(element: "outgoingServer", type: "smtp", endpoint: endpoint)
        }
        xml += """
              </emailProvider>
            </clientConfig>

            """
        return xml
    }

    private func server(element: String, type: String, endpoint: MailSettings.Endpoint) -> String {
        // socketType: "SSL" is implicit TLS, "STARTTLS" the upgrade; "plain" is never offered.
        let socketType = endpoint.security == .tls ? "SSL" : "STARTTLS"
        return """
                <\(element) type="\(type)">
                  <hostname>\(MarkupText.escape(endpoint.host))</hostname>
                  <port>\(endpoint.port)</port>
                  <socketType>\(socketType)</socketType>
                  <authentication>password-cleartext</authentication>
                  <username>%EMAILADDRESS%</username>
                </\(element)>

            """
    }
}
