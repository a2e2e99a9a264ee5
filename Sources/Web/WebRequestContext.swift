import Hummingbird
import Policy

/// The request context of the customer web: Hummingbird's core storage plus
/// the connection's peer address, which the checker needs to tell the line.
public struct WebRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer (a reverse proxy, when there is one); nil for in-process
    /// test channels and Unix sockets.
    public let peerAddress: IPAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress.flatMap { IPAddress(parsing: $0) }
    }
}
