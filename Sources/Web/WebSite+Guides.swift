import Hummingbird
import SMTPCore

/// The setup guides page.
extension WebSite {
    /// `GET /guides?email=…`: guides with the settings for that address (ISP or
    /// virtual domain wording); without an address, generic guides for
    /// `?kind=isp` (default) or `?kind=virtual`.
    func guidesPage(_ request: Request) async -> Response {
        let query = FormQuery(request.uri.query)
        let locale = locale(request, query)
        let email = query["email"].flatMap { $0.allSatisfy(\.isWhitespace) ? nil : $0 }
        let kindParameter = query["kind"] == "virtual" ? "virtual" : "isp"
        var current: [(String, String)] = []
        if let email { current.append(("email", email)) } else { current.append(("kind", kindParameter)) }
        var page = pageContext(title: text("guidesTitle", locale), locale: locale, current: ("/guides", current))
        page["emailValue"] = email ?? ""
        let port = String(settings.submission.port)
        let incoming = ["inHost": settings.pop3s.host, "inPort": String(settings.pop3s.port)]

        guard let email else {
            let virtual = kindParameter == "virtual"
            page["intro"] = text(virtual ? "guidesIntroGenericVirtual" : "guidesIntroGenericISP", locale,
                                 incoming.merging(["port": port]) { $1 })
            if virtual { page["notes"] = [text("guidesVirtualDNS", locale)] }
            page["kindLinks"] = ["links": [
                ["url": link("/guides", [("kind", "isp")], locale: locale), "text": text("guidesKindLinkISP", locale), "current": !virtual],
                ["url": link("/guides", [("kind", "virtual")], locale: locale), "text": text("guidesKindLinkVirtual", locale), "current": virtual],
            ] as [[String: Any]]]
            addGuides(to: &page, address: text("yourAddress", locale), virtual: virtual, profileURL: nil, locale: locale)
            return Responses.html(renderer.render("guides", page), language: locale.language)
        }

        let address: CheckedAddress
        do {
            address = try CheckedAddress(email)
        } catch {
            page["error"] = ["message": text("error_\(error.code)", locale)]
            return Responses.html(renderer.render("guides", page), status: .badRequest, language: locale.language)
        }
        let kind: DomainKind
        do {
            kind = try await checker.domainKind(address.domain)
        } catch {
            logger.error("guides: directory failed", metadata: ["error": "\(LoggedText(describing: error))"])
            page["error"] = ["message": text("error_unavailable", locale)]
            return Responses.html(renderer.render("guides", page), status: .serviceUnavailable, language: locale.language)
        }
        let shownDomain = address.unicodeDomain ?? address.domain
        guard kind.isHosted else {
            page["intro"] = text("guidesOutside", locale, ["domain": shownDomain])
            return Responses.html(renderer.render("guides", page), language: locale.language)
        }
        let virtual = kind == .virtualDomain
        let values = incoming.merging(["domain": shownDomain, "port": port, "address": address.address]) { $1 }
        page["intro"] = text(virtual ? "guidesIntroVirtual" : "guidesIntroISP", locale, values)
        if virtual { page["notes"] = [text("guidesVirtualDNS", locale)] }
        let profileURL = link("/apple/mail.mobileconfig", [("email", address.address)], locale: locale)
        addGuides(to: &page, address: address.address, virtual: virtual, profileURL: profileURL, locale: locale)
        return Responses.html(renderer.render("guides", page), language: locale.language)
    }

    private func addGuides(to page: inout [String: Any], address: String, virtual: Bool, profileURL: String?,
                           locale: Locale) {
        let guides = SetupGuide.all(
            address: address, virtual: virtual, profileURL: profileURL, settings: settings,
            table: settingsTable(address: address, locale: locale),
            text: { key, values in Catalog.text(key, locale.language, values) })
        page["hasGuides"] = true
        page["guides"] = guides.map(\.view)
    }
}
