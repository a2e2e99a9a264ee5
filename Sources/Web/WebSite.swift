import Directory
import Foundation
import Hummingbird
import Logging
import Policy

/// Everything the customer web's handlers share: read once at start-up and
/// passed down. The handlers live in extensions:
/// `WebSite+Checker.swift`, `WebSite+Guides.swift`, `WebSite+AutoConfiguration.swift`.
struct WebSite: Sendable {
    /// The installation's host name.
    let hostname: String
    let settings: MailSettings
    let checker: Checker
    let lineDetector: LineDetector
    let renderer: PageRenderer
    let logger: Logger

    /// The request's language and whether the URL chose it.
    struct Locale {
        var language: Language
        var explicit: Bool
    }

    func locale(_ request: Request, _ query: FormQuery) -> Locale {
        let language = Language.negotiate(query: query["lang"], acceptLanguage: request.headers[.acceptLanguage])
        let explicit = query["lang"].flatMap { Language(tag: $0) } != nil
        return Locale(language: language, explicit: explicit)
    }

    /// `path` with `parameters`, plus `lang` when the visitor chose the language in the URL.
    func link(_ path: String, _ parameters: [(String, String)] = [], locale: Locale) -> String {
        var all = parameters
        if locale.explicit { all.append(("lang", locale.language.rawValue)) }
        return WebSite.url(path, all)
    }

    static func url(_ path: String, _ parameters: [(String, String)]) -> String {
        guard !parameters.isEmpty else { return path }
        return path + "?" + parameters.map { "\($0.0)=\(FormQuery.encode($0.1))" }.joined(separator: "&")
    }

    /// The values every page template uses (layout, navigation, language switch).
    /// `current` is the page's own path and parameters, for the language switch.
    func pageContext(title: String, locale: Locale, current: (String, [(String, String)])) -> [String: Any] {
        let language = locale.language
        return [
            "lang": language.rawValue,
            "otherLang": language.other.rawValue,
            "explicitLang": locale.explicit,
            "t": Catalog.strings(language),
            "pageTitle": title,
            "checkerURL": link("/", locale: locale),
            "guidesURL": link("/guides", locale: locale),
            "switchURL": WebSite.url(current.0, current.1 + [("lang", language.other.rawValue)]),
        ]
    }

    func text(_ key: String, _ locale: Locale, _ values: [String: String] = [:]) -> String {
        Catalog.text(key, locale.language, values)
    }

    /// A simple page with a title and one message.
    func messagePage(title: String, message: String, status: HTTPResponse.Status, locale: Locale,
                     current: (String, [(String, String)])) -> Response {
        var context = pageContext(title: title, locale: locale, current: current)
        context["message"] = message
        return Responses.html(renderer.render("message", context), status: status, language: locale.language)
    }
}
