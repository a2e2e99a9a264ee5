import Foundation
import Hummingbird
import Policy
import SMTPCore

/// The checker page and its JSON API.
extension WebSite {
    /// What a check request asks for, or why it cannot be answered.
    enum CheckInput {
        case ask(CheckedAddress, Line?)
        case invalid(code: String, messageKey: String)
    }

    /// Reads `email` and `line` (`auto`, `isp`, `other`; absent means auto).
    func checkInput(_ query: FormQuery) -> CheckInput {
        var choice: Line?
        switch query["line"] ?? "auto" {
        case "auto", "": choice = nil
        case "isp": choice = .isp
        case "other": choice = .other
        default: return .invalid(code: "invalid_line", messageKey: "error_invalid_line")
        }
        do {
            return .ask(try CheckedAddress(query["email"] ?? ""), choice)
        } catch {
            return .invalid(code: error.code, messageKey: "error_\(error.code)")
        }
    }

    func detection(_ request: Request, _ context: WebRequestContext, choice: Line?) -> LineDetection {
        lineDetector.line(choice: choice, peer: context.peerAddress,
                          forwardedFor: request.headers[values: Responses.forwardedFor])
    }

    /// The address the visitor connects from, whatever line they chose: the infected-line
    /// notice is about this connection.
    func visitor(_ request: Request, _ context: WebRequestContext) -> IPAddress? {
        lineDetector.detect(peer: context.peerAddress, forwardedFor: request.headers[values: Responses.forwardedFor]).clientAddress
    }

    // MARK: HTML

    func checkerPage(_ request: Request, _ context: WebRequestContext) async -> Response {
        let query = FormQuery(request.uri.query)
        let locale = locale(request, query)
        let email = query["email"]
        let lineValue = query["line"] ?? "auto"
        var parameters: [(String, String)] = []
        if let email { parameters = [("email", email), ("line", lineValue)] }
        var page = pageContext(title: text("checkerTitle", locale), locale: locale,
                               current: (email == nil ? "/" : "/check", parameters))
        page["emailValue"] = email ?? ""
        page["formHeading"] = text("formHeading", locale)
        page["lineOptions"] = [("auto", "lineAuto"), ("isp", "lineISP"), ("other", "lineOther")].map { value, key in
            ["value": value, "label": text(key, locale), "checked": value == lineValue || (value == "auto" && !["isp", "other"].contains(lineValue))] as [String: Any]
        }

        var status = HTTPResponse.Status.ok
        // The front page without an address is just the form.
        if request.uri.path != "/" || email != nil {
            switch checkInput(query) {
            case .invalid(_, let key):
                status = .badRequest
                page["error"] = ["message": text(key, locale)]
            case .ask(let address, let choice):
                do {
                    let result = try await checker.check(address, line: detection(request, context, choice: choice),
                                                         visitor: visitor(request, context))
                    page["result"] = resultView(result, locale: locale)
                    if let suspicion = result.lineSuspicious {
                        page["suspicious"] = suspicionView(suspicion, locale: locale)
                    }
                    page["formHeading"] = text("formHeadingAgain", locale)
                } catch {
                    logger.error("checker: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
                    status = .serviceUnavailable
                    page["error"] = ["message": text("error_unavailable", locale)]
                }
            }
        }
        // Every visit from a flagged line shows the notice, with or without an address to check.
        if page["result"] == nil {
            do {
                if let suspicion = try await checker.suspicion(for: visitor(request, context)) {
                    page["suspicious"] = suspicionView(suspicion, locale: locale)
                }
            } catch {
                logger.error("checker: directory failed reading the OP25B attempts", metadata: ["error": "\(LoggedText(describing: error))"])
            }
        }
        return Responses.html(renderer.render("checker", page), status: status, language: locale.language)
    }

    /// The infected-line notice: what was seen from the visitor's own line and what to do.
    func suspicionView(_ suspicion: CheckResult.Suspicion, locale: Locale) -> [String: Any] {
        // "2027-01-15T07:55:00Z" reads as "2027-01-15 07:55" on the page; the text says UTC.
        func minute(_ iso: String) -> String { String(iso.prefix(16)).replacingOccurrences(of: "T", with: " ") }
        let values = [
            "client": suspicion.clientAddress, "attempts": String(suspicion.attempts),
            "destinations": String(suspicion.destinations), "first": minute(suspicion.firstSeen),
            "last": minute(suspicion.lastSeen),
            "hours": String(suspicion.windowHours),
        ]
        return [
            "heading": text("infectedHeading", locale),
            "seen": text("infectedSeen", locale, values),
            "meaning": text("infectedMeaning", locale),
            "stepsHeading": text("infectedStepsHeading", locale),
            "steps": ["infectedStepUpdate", "infectedStepPasswords", "infectedStepSupport"].map { text($0, locale) },
            "note": text("infectedNote", locale, values),
        ]
    }

    /// The template values for one answer.
    func resultView(_ result: CheckResult, locale: Locale) -> [String: Any] {
        let shownDomain = result.unicodeDomain ?? result.domain
        let domainKey = switch result.domainKind {
        case .ispDomain: "domainISP"
        case .virtualDomain: "domainVirtual"
        case .outside: "domainOutside"
        }
        let lineKey = switch (result.line, result.lineSource) {
        case (.isp, .detected): result.exemption == nil ? "lineISPDetected" : "lineISPExempt"
        case (.other, .detected): "lineOtherDetected"
        case (.isp, .chosen): "lineISPChosen"
        case (.other, .chosen): "lineOtherChosen"
        }
        var view: [String: Any] = [
            "resultClass": result.affected ? "affected" : "not-affected",
            "verdict": result.verdict.rawValue,
            "headline": text(result.affected ? "headlineAffected" : "headlineNotAffected", locale),
            "email": result.email,
            "domainText": text(domainKey, locale, ["domain": shownDomain]),
            "line": result.line.rawValue,
            "lineText": text(lineKey, locale),
            "paragraphs": paragraphs(result, locale: locale),
        ]
        if let unicode = result.unicodeDomain {
            view["idnNote"] = text("idnNote", locale, ["unicode": unicode, "domain": result.domain])
        }
        if result.verdict.showsOurSettings && result.domainKind.isHosted {
            view["settings"] = settingsTable(address: result.email, locale: locale)
        }
        if let provider = result.providerSubmission {
            view["provider"] = providerView(provider, domain: shownDomain, locale: locale)
        }
        if result.lineSource == .detected {
            view["detectionNote"] = text("detectionNote", locale)
        }
        var links: [[String: String]] = []
        if result.domainKind.isHosted {
            links.append(["url": link("/guides", [("email", result.email)], locale: locale), "text": text("linkGuides", locale)])
            links.append(["url": link("/apple/mail.mobileconfig", [("email", result.email)], locale: locale),
                          "text": text("linkProfile", locale)])
        }
        view["links"] = links
        return view
    }

    /// The explanation of a verdict, in the notice's words.
    func paragraphs(_ result: CheckResult, locale: Locale) -> [String] {
        let domain = ["domain": result.unicodeDomain ?? result.domain]
        switch result.verdict {
        case .affectedUseProviderSubmission:
            return [text("verdictProvider1", locale), text("verdictProvider2", locale, domain)]
        case .affectedUseOurSubmission:
            var lines = [text("verdictOurs1", locale), text("verdictOurs2", locale)]
            if result.domainKind == .virtualDomain { lines.append(text("verdictOursVirtual", locale)) }
            return lines
        case .notAffected:
            return [text("verdictNot1", locale), text("verdictNot2", locale)]
        case .notAffectedByThisISP:
            return [text("verdictOther1", locale), text("verdictOther2", locale, domain)]
        case .notAffectedExempt:
            let exemption = result.exemption
            var values = ["client": exemption?.clientAddress ?? ""]
            values["until"] = exemption?.until
            return [text(values["until"] == nil ? "verdictExempt" : "verdictExemptUntil", locale, values),
                    result.domainKind.isHosted ? text("verdictNot2", locale) : text("verdictExemptOutside", locale, domain)]
        }
    }

    /// The settings table for an address hosted here, from `[client_settings]`:
    /// outgoing server, ports and authentication, then the incoming (POP3)
    /// server and ports, the IMAP server when there is one, then the user name
    /// and password, which are the same for every server.
    func settingsTable(address: String, locale: Locale) -> [String: Any] {
        func port(_ endpoint: MailSettings.Endpoint) -> String {
            text(endpoint.security == .tls ? "portTLS" : "portStartTLS", locale, ["port": String(endpoint.port)])
        }
        func row(_ id: String, _ label: String, _ value: String) -> [String: String] {
            ["id": id, "label": label, "value": value]
        }
        var rows: [[String: String]] = [
            row("outgoing-server", text("rowOutgoingServer", locale), settings.submission.host),
            row("outgoing-port", text("rowPort", locale), port(settings.submission)),
            row("outgoing-alt-port", text("rowAltPort", locale, ["port": String(settings.submission.port)]),
                port(settings.submissions)),
            row("outgoing-auth", text("rowAuth", locale), text("authValue", locale)),
            row("incoming-server", text("rowIncomingServer", locale), settings.pop3s.host),
            row("incoming-port", text("rowIncomingPort", locale), port(settings.pop3s)),
            row("incoming-alt-port", text("rowAltPort", locale, ["port": String(settings.pop3s.port)]),
                port(settings.pop3)),
        ]
        if let imap = settings.imap {
            rows.append(row("imap-server", text("rowIMAPServer", locale), imap.host))
            rows.append(row("imap-port", text("rowIMAPPort", locale), port(imap)))
        }
        rows.append(row("username", text("rowUsername", locale), text("usernameValue", locale, ["address": address])))
        rows.append(row("password", text("rowPassword", locale), text("passwordValue", locale)))
        return ["caption": text("settingsCaption", locale, ["address": address]), "rows": rows]
    }

    func providerView(_ provider: ProviderSubmission, domain: String, locale: Locale) -> [String: Any] {
        let values = ["domain": domain]
        var view: [String: Any] = [
            "heading": text("providerHeading", locale, values),
            "hasServers": !provider.servers.isEmpty,
            "servers": provider.servers.map { server -> [String: String] in
                ["service": server.service, "host": server.host, "port": String(server.port),
                 "security": server.security.rawValue]
            },
        ]
        switch provider.status {
        case .found: view["intro"] = text("providerIntro", locale, values)
        case .none: view["message"] = text("providerNone", locale, values)
        case .failed: view["message"] = text("providerFailed", locale, values)
        }
        return view
    }

    // MARK: JSON

    /// `GET /api/v1/check?email=…&line=isp|other`: the same answer as the page,
    /// for support staff tools. Errors are `{"error": {"code", "message"}}` with 400
    /// (bad input) or 503 (directory unavailable).
    func checkAPI(_ request: Request, _ context: WebRequestContext) async -> Response {
        let query = FormQuery(request.uri.query)
        let locale = locale(request, query)
        switch checkInput(query) {
        case .invalid(let code, let key):
            return Responses.json(APIError(code: code, message: text(key, locale)), status: .badRequest, language: locale.language)
        case .ask(let address, let choice):
            do {
                let result = try await checker.check(address, line: detection(request, context, choice: choice),
                                                     visitor: visitor(request, context))
                let message = ([text(result.affected ? "headlineAffected" : "headlineNotAffected", locale)]
                    + paragraphs(result, locale: locale)).joined(separator: locale.language == .ja ? "" : " ")
                return Responses.json(CheckAPIResponse(result: result, message: message, language: locale.language),
                                      language: locale.language)
            } catch {
                logger.error("checker API: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
                return Responses.json(APIError(code: "unavailable", message: text("error_unavailable", locale)),
                                      status: .serviceUnavailable, language: locale.language)
            }
        }
    }
}

/// The JSON answer: every field of ``CheckResult`` plus `message` and `lang`.
struct CheckAPIResponse: Encodable {
    let result: CheckResult
    let message: String
    let language: Language

    enum Keys: String, CodingKey { case message, lang }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(message, forKey: .message)
        try container.encode(language, forKey: .lang)
    }
}

/// `{"error": {"code": "...", "message": "..."}}`.
struct APIError: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
    }

    let error: Detail

    init(code: String, message: String) {
        error = Detail(code: code, message: message)
    }
}
