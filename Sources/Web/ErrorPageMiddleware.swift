import Hummingbird
import SMTPCore

/// Turns "no such route" into a localized 404 page and any unexpected error
/// into a plain 500 page, logging the error: visitors never see internals.
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let web: CustomerWeb

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let site = web.site
            let query = FormQuery(request.uri.query)
            let locale = site.locale(request, query)
            return site.messagePage(
                title: site.text("notFoundTitle", locale), message: site.text("notFoundText", locale),
                status: .notFound, locale: locale, current: ("/", []))
        } catch let error as HTTPError {
            // Hummingbird's own client errors (e.g. a body too large): status only.
            return Responses.text(error.status.reasonPhrase, status: error.status)
        } catch {
            web.site.logger.error("web request failed", metadata: ["path": "\(LoggedText(request.uri.path))", "error": "\(LoggedText(describing: error))"])
            return Responses.text("Internal Server Error", status: .internalServerError)
        }
    }
}
