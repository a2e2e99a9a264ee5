import Foundation

/// Outlook's POX autodiscover answer (`POST /autodiscover/autodiscover.xml`)
/// for an address hosted here, or an error document.
///
/// The account is of type `email` with action `settings`: a `POP3` protocol
/// for port 995 (implicit TLS) first and one for port 110 (STLS) second, an
/// `IMAP` protocol when `[client_settings]` names an IMAP server, and one
/// `SMTP` protocol for the submission service (port 587). `Encryption` `TLS`
/// means STARTTLS, `SSL` implicit TLS; `AuthRequired` is always on and the
/// login name is the full address. Port 25 never appears.
public enum AutodiscoverResponse {
    static let responseNamespace = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"

    /// The settings document for `address` (the login name) with `settings`.
    public static func settings(address: String, settings: MailSettings, displayName: String) -> String {
        let e = MarkupText.escape
        var protocols = ""
        for incoming in settings.incoming {
            protocols += protocolElement(type: incoming.protocol.rawValue, endpoint: incoming.endpoint,
                                         login: address, smtpExtras: false)
        }
        protocols += protocolElement(type: "SMTP", endpoint: settings.submission, login: address, smtpExtras: true)
        return """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="\(responseNamespace)">
              <Response xmlns="\(AutodiscoverRequest.outlookResponseSchema)">
                <User>
                  <DisplayName>\(e(displayName))</DisplayName>
                </User>
                <Account>
                  <AccountType>email</AccountType>
                  <Action>settings</Action>
            \(protocols)    </Account>
              </Response>
            </Autodiscover>

            """
    }

    /// An error document. Codes as Exchange uses them: 600 "Invalid Request",
    /// 601 "Requested schema version not supported".
    public static func error(code: Int, message: String) -> String {
        let time = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: "Z", with: "")
        return """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="\(responseNamespace)">
              <Response>
                <Error Time="\(MarkupText.escape(time))" Id="0">
                  <ErrorCode>\(code)</ErrorCode>
                  <Message>\(MarkupText.escape(message))</Message>
                  <DebugData />
                </Error>
              </Response>
            </Autodiscover>

            """
    }

    private static func protocolElement(type: String, endpoint: MailSettings.Endpoint, login: String,
                                        smtpExtras: Bool) -> String {
        let e = MarkupText.escape
        var element = """
                  <Protocol>
                    <Type>\(type)</Type>
                    <Server>\(e(endpoint.host))</Server>
                    <Port>\(endpoint.port)</Port>
                    <LoginName>\(e(login))</LoginName>
                    <DomainRequired>off</DomainRequired>
                    <SPA>off</SPA>
                    <SSL>on</SSL>
                    <Encryption>\(endpoint.security == .tls ? "SSL" : "TLS")</Encryption>
                    <AuthRequired>on</AuthRequired>

            """
        if smtpExtras {
            element += """
                        <UsePOPAuth>off</UsePOPAuth>
                        <SMTPLast>off</SMTPLast>

                """
        }
        element += "          </Protocol>\n"
        return element
    }
}
