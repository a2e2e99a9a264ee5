import Hummingbird
import Policy

/// The request context of the customer web: Hummingbird's core storage plus
/// the connection's peer address, which the checker needs to tell the line.
public struct WebRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (a reverse proxy, when there is one), or the client a trusted proxy's
    /// PROXY header names; nil for in-process test channels and Unix sockets.
    public let peerAddress: IPAddress?

    /// The client named by the PROXY header of the connection being served, set for the
    /// connection's task by ``ProxyProtocolHTTP1Channel``.
    @TaskLocal static var proxiedClient: IPAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = Self.proxiedClient
            ?? source.channel.remoteAddress?.ipAddress.flatMap { IPAddress(parsing: $0) }
    }
}
