import Directory
import Hummingbird
import HummingbirdCore
import Logging
import Policy
import ServerSupport

/// Builds the customer web as a Hummingbird application listening on `host`:`port`;
/// run it as a service of `portcullis serve`. For several listen addresses, build one
/// per address.
///
/// Pages (Japanese by default, English with `?lang=en` or Accept-Language):
/// - `GET /`, `GET /check?email=…&line=auto|isp|other`: the "am I affected?" checker
/// - `GET /guides?email=…` (or `?kind=isp|virtual`): setup guides per mail client
/// - `GET /api/v1/check?email=…&line=isp|other`: the checker's answer as JSON
/// - `GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=…`, `GET /mail/config-v1.1.xml`: Thunderbird autoconfig
/// - `POST /autodiscover/autodiscover.xml`: Outlook POX autodiscover
/// - `GET /apple/mail.mobileconfig?email=…`: Apple configuration profile
/// - `GET /healthz`: liveness
///
/// With `proxyProtocol`, connections from its trusted proxies start with a PROXY header whose
/// source is the visitor (``ProxyProtocolHTTP1Channel``).
///
/// Throws when the page templates cannot be loaded (a packaging problem).
public func buildWebApplication(
    settings: WebSettings,
    policy: OP25BPolicy,
    directory: any AccountDirectory,
    srvLookup: any SRVLookup,
    logger: Logger,
    host: String = "127.0.0.1",
    port: Int = 8080,
    proxyProtocol: ProxyProtocolSettings? = nil
) throws(PageRenderer.LoadError) -> some ApplicationProtocol {
    let router = try buildRouter(settings: settings, policy: policy, directory: directory,
                                 srvLookup: srvLookup, logger: logger)
    let server: HTTPServerBuilder = proxyProtocol.map { proxyProtocol in
        HTTPServerBuilder { responder in
            ProxyProtocolHTTP1Channel(http: HTTP1Channel(responder: responder), settings: proxyProtocol)
        }
    } ?? .http1()
    return Application(
        router: router,
        server: server,
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
        logger: logger)
}

/// The router with every route of the customer web (see ``buildWebApplication(settings:policy:directory:srvLookup:logger:host:port:)``).
/// Paths match case-insensitively, because Outlook asks for `/Autodiscover/Autodiscover.xml`.
public func buildRouter(
    settings webSettings: WebSettings,
    policy: OP25BPolicy,
    directory: any AccountDirectory,
    srvLookup: any SRVLookup,
    logger: Logger
) throws(PageRenderer.LoadError) -> Router<WebRequestContext> {
    let renderer = try PageRenderer()
    let (resolver, invalidProxies) = ClientAddressResolver.parse(webSettings.trustedProxies)
    for entry in invalidProxies {
        logger.warning("web.trusted_proxies: \"\(entry)\" is not an address or prefix; ignored")
    }
    let settings = webSettings.mail
    let site = WebSite(
        hostname: webSettings.hostname,
        settings: settings,
        checker: Checker(directory: directory, srvLookup: srvLookup, settings: settings, policy: policy),
        lineDetector: LineDetector(policy: policy, resolver: resolver),
        renderer: renderer,
        logger: logger)

    let router = Router(context: WebRequestContext.self, options: [.caseInsensitive])
    router.add(middleware: ErrorPageMiddleware(site: site))
    router.get("/") { request, context in await site.checkerPage(request, context) }
    router.get("/check") { request, context in await site.checkerPage(request, context) }
    router.get("/api/v1/check") { request, context in await site.checkAPI(request, context) }
    router.get("/guides") { request, _ in await site.guidesPage(request) }
    router.get("/.well-known/autoconfig/mail/config-v1.1.xml") { request, _ in await site.autoconfig(request) }
    router.get("/mail/config-v1.1.xml") { request, _ in await site.autoconfig(request) }
    router.post("/autodiscover/autodiscover.xml") { request, _ in await site.autodiscover(request) }
    router.get("/apple/mail.mobileconfig") { request, _ in await site.mobileConfig(request) }
    router.get("/healthz") { _, _ in Responses.text("ok", status: .ok) }
    return router
}
