import Directory
import Hummingbird
import HummingbirdCore
import Logging
import Policy
import ServerSupport
import Synchronization

/// The customer web's settings and OP25B policy as in force now: `portcullis reload` replaces
/// them with ``update(settings:policy:)``, and the next request sees the new ones.
public final class CustomerWeb: Sendable {
    private let directory: any AccountDirectory
    private let srvLookup: any SRVLookup
    private let infection: OP25BInfectionLookup?
    private let renderer: PageRenderer
    private let logger: Logger
    private let current: Mutex<WebSite>
    /// The server's readiness, for `/readyz`; nil serves no such route.
    let readiness: ReadinessCheck?

    /// Loads the page templates (a failure is a packaging problem) and builds the site.
    /// `infection`: the infected-line notice's counts (`[op25b] collect`), nil for none.
    public init(settings: WebSettings, policy: OP25BPolicy, directory: any AccountDirectory, srvLookup: any SRVLookup,
                infection: OP25BInfectionLookup? = nil, readiness: ReadinessCheck? = nil,
                logger: Logger) throws(PageRenderer.LoadError) {
        self.readiness = readiness
        self.directory = directory
        self.srvLookup = srvLookup
        self.infection = infection
        self.renderer = try PageRenderer()
        self.logger = logger
        current = Mutex(Self.site(settings: settings, policy: policy, directory: directory, srvLookup: srvLookup,
                                  infection: infection, renderer: renderer, logger: logger))
    }

    /// Serves requests from now on with `settings` and `policy`.
    public func update(settings: WebSettings, policy: OP25BPolicy) {
        let site = Self.site(settings: settings, policy: policy, directory: directory, srvLookup: srvLookup,
                             infection: infection, renderer: renderer, logger: logger)
        current.withLock { $0 = site }
    }

    var site: WebSite { current.withLock { $0 } }

    private static func site(settings webSettings: WebSettings, policy: OP25BPolicy, directory: any AccountDirectory,
                             srvLookup: any SRVLookup, infection: OP25BInfectionLookup?, renderer: PageRenderer,
                             logger: Logger) -> WebSite {
        let (resolver, invalidProxies) = ClientAddressResolver.parse(webSettings.trustedProxies)
        for entry in invalidProxies {
            logger.warning("web.trusted_proxies: \"\(entry)\" is not an address or prefix; ignored")
        }
        let settings = webSettings.mail
        return WebSite(
            hostname: webSettings.hostname,
            settings: settings,
            checker: Checker(directory: directory, srvLookup: srvLookup, settings: settings, policy: policy,
                             infection: infection),
            lineDetector: LineDetector(policy: policy, resolver: resolver),
            renderer: renderer,
            logger: logger)
    }
}

/// Builds the customer web as a Hummingbird application listening on `host`:`port`;
/// run it as a service of `portcullis serve`. For several listen addresses, build one
/// per address on the same ``CustomerWeb``.
///
/// Pages (Japanese by default, English with `?lang=en` or Accept-Language):
/// - `GET /`, `GET /check?email=…&line=auto|isp|other`: the "am I affected?" checker
/// - `GET /guides?email=…` (or `?kind=isp|virtual`): setup guides per mail client
/// - `GET /api/v1/check?email=…&line=isp|other`: the checker's answer as JSON
/// - `GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=…`, `GET /mail/config-v1.1.xml`: Thunderbird autoconfig
/// - `POST /autodiscover/autodiscover.xml`: Outlook POX autodiscover
/// - `GET /apple/mail.mobileconfig?email=…`: Apple configuration profile
/// - `GET /healthz`: liveness; `GET /readyz`: readiness (``ReadinessReport``), when the
///   ``CustomerWeb`` has a check
///
/// With `proxyProtocol`, connections from its trusted proxies start with a PROXY header whose
/// source is the visitor (``ProxyProtocolHTTP1Channel``). `onListening` runs once the port is bound.
public func buildWebApplication(web: CustomerWeb, logger: Logger, host: String = "127.0.0.1", port: Int = 8080,
                                proxyProtocol: ProxyProtocolSettings? = nil,
                                onListening: @escaping @Sendable () async -> Void = {}) -> some ApplicationProtocol {
    let server: HTTPServerBuilder = proxyProtocol.map { proxyProtocol in
        HTTPServerBuilder { responder in
            ProxyProtocolHTTP1Channel(http: HTTP1Channel(responder: responder), settings: proxyProtocol)
        }
    } ?? .http1()
    return Application(
        router: buildRouter(web: web),
        server: server,
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
        onServerRunning: { _ in await onListening() },
        logger: logger)
}

/// The router with every route of the customer web (see ``buildWebApplication(web:logger:host:port:)``).
/// Paths match case-insensitively, because Outlook asks for `/Autodiscover/Autodiscover.xml`.
/// Each request takes the site as it is then (``CustomerWeb/update(settings:policy:)``).
public func buildRouter(web: CustomerWeb) -> Router<WebRequestContext> {
    let router = Router(context: WebRequestContext.self, options: [.caseInsensitive])
    router.add(middleware: ErrorPageMiddleware(web: web))
    router.get("/") { request, context in await web.site.checkerPage(request, context) }
    router.get("/check") { request, context in await web.site.checkerPage(request, context) }
    router.get("/api/v1/check") { request, context in await web.site.checkAPI(request, context) }
    router.get("/guides") { request, _ in await web.site.guidesPage(request) }
    router.get("/.well-known/autoconfig/mail/config-v1.1.xml") { request, _ in await web.site.autoconfig(request) }
    router.get("/mail/config-v1.1.xml") { request, _ in await web.site.autoconfig(request) }
    router.post("/autodiscover/autodiscover.xml") { request, _ in await web.site.autodiscover(request) }
    router.get("/apple/mail.mobileconfig") { request, _ in await web.site.mobileConfig(request) }
    router.get("/healthz") { _, _ in Responses.text("ok", status: .ok) }
    if let readiness = web.readiness {
        // The customer web is public: which check fails, not why (the metrics listener says why).
        router.get("/readyz") { _, _ in Responses.readiness(await readiness().redacted) }
    }
    return router
}
