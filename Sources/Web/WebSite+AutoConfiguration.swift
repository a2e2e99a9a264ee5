import Hummingbird
import SMTPCore

/// Automatic configuration for mail clients: Thunderbird autoconfig, Outlook
/// autodiscover and Apple configuration profiles. Each answers only for
/// hosted domains and describes the POP3 service and submission with
/// authentication, at the host names of `[client_settings]`.
extension WebSite {
    /// `GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=…` and
    /// `GET /mail/config-v1.1.xml?emailaddress=…`. Without `emailaddress`, the
    /// domain comes from a Host of the form `autoconfig.DOMAIN` (how Thunderbird
    /// asks the domain's own autoconfig name). 404 for domains not hosted here,
    /// so Thunderbird moves on to its other methods.
    func autoconfig(_ request: Request) async -> Response {
        let domain: String
        switch WebSite.autoconfigDomain(query: FormQuery(request.uri.query), authority: request.head.authority) {
        case .success(let name): domain = name
        case .failure(let problem):
            return Responses.text("emailaddress missing or not valid: \(problem.code)", status: .badRequest)
        }
        do {
            guard try await checker.domainKind(domain).isHosted else {
                return Responses.text("no configuration for this domain", status: .notFound)
            }
        } catch {
            logger.error("autoconfig: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
            return Responses.text("temporarily unavailable", status: .serviceUnavailable)
        }
        let document = AutoconfigDocument(domain: domain, settings: settings, displayName: hostname)
        return Responses.xml(document.render())
    }

    /// `POST /autodiscover/autodiscover.xml` with Outlook's POX request.
    /// Errors are autodiscover error documents: 600 for a bad request or a
    /// domain not hosted here (HTTP 400/404), 601 for a schema other than
    /// Outlook's (HTTP 200, as Exchange does).
    func autodiscover(_ request: Request) async -> Response {
        var request = request
        let body: String
        do {
            let buffer = try await request.collectBody(upTo: AutodiscoverRequest.maximumBodySize)
            body = String(buffer: buffer)
        } catch {
            return Responses.xml(AutodiscoverResponse.error(code: 600, message: "Invalid Request"),
                                 status: .contentTooLarge)
        }
        let parsed = AutodiscoverRequest(body: body)
        if let schema = parsed.acceptableResponseSchema, schema != AutodiscoverRequest.outlookResponseSchema {
            return Responses.xml(AutodiscoverResponse.error(code: 601, message: "Requested schema version not supported"))
        }
        guard let email = parsed.emailAddress, let address = try? CheckedAddress(email) else {
            return Responses.xml(AutodiscoverResponse.error(code: 600, message: "Invalid Request"), status: .badRequest)
        }
        do {
            guard try await checker.domainKind(address.domain).isHosted else {
                return Responses.xml(AutodiscoverResponse.error(code: 600, message: "Domain not served here"),
                                     status: .notFound)
            }
        } catch {
            logger.error("autodiscover: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
            return Responses.xml(AutodiscoverResponse.error(code: 600, message: "Temporarily unavailable"),
                                 status: .serviceUnavailable)
        }
        return Responses.xml(AutodiscoverResponse.settings(address: address.address, settings: settings,
                                                           displayName: address.address))
    }

    /// `GET /apple/mail.mobileconfig?email=…`: the profile as a download; a
    /// localized page when the address is invalid or not hosted here.
    func mobileConfig(_ request: Request) async -> Response {
        let query = FormQuery(request.uri.query)
        let locale = locale(request, query)
        let current = ("/apple/mail.mobileconfig", query["email"].map { [("email", $0)] } ?? [])
        let title = text("profileTitle", locale)
        let address: CheckedAddress
        do {
            address = try CheckedAddress(query["email"] ?? "")
        } catch {
            return messagePage(title: title, message: text("error_\(error.code)", locale), status: .badRequest,
                               locale: locale, current: current)
        }
        do {
            guard try await checker.domainKind(address.domain).isHosted else {
                return messagePage(title: title,
                                   message: text("profileNotHosted", locale, ["domain": address.unicodeDomain ?? address.domain]),
                                   status: .notFound, locale: locale, current: current)
            }
        } catch {
            logger.error("mobileconfig: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
            return messagePage(title: title, message: text("error_unavailable", locale), status: .serviceUnavailable,
                               locale: locale, current: current)
        }
        let profile = MobileConfigProfile(address: address.address, settings: settings, organization: hostname)
        return Responses.download(profile.render(), contentType: MobileConfigProfile.contentType,
                                  fileName: profile.fileName)
    }

    /// The domain an autoconfig request is for: from `emailaddress`, else from
    /// an authority (Host) of the form `autoconfig.DOMAIN[:port]`.
    static func autoconfigDomain(query: FormQuery, authority: String?) -> Result<String, AddressProblem> {
        do {
            if let email = query["emailaddress"] {
                return .success(try CheckedAddress(email).domain)
            }
            if let host = authority.map(hostWithoutPort), host.lowercased().hasPrefix("autoconfig.") {
                return .success(try IDNA.toASCII(String(host.dropFirst("autoconfig.".count))))
            }
            return .failure(.missing)
        } catch {
            return .failure(error)
        }
    }

    /// `host:port` or `[v6]:port` without the port.
    static func hostWithoutPort(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        if let colon = authority.lastIndex(of: ":") {
            return String(authority[..<colon])
        }
        return authority
    }
}
