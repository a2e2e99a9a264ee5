import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Policy
import ServerSupport

/// HTTP/1 behind a load balancer that sends a PROXY header (`[web] proxy_protocol = true`).
///
/// A connection from a trusted proxy gets a ``ProxyHeaderHandler`` in front of the HTTP
/// handlers: nothing is parsed as HTTP before the header, and the header's source becomes the
/// peer address of every request on the connection (``WebRequestContext/peerAddress``). Other
/// peers are served as direct clients. The pipeline is built at once, not after the header:
/// NIO registers (and reads from) an accepted channel only once its setup has completed.
struct ProxyProtocolHTTP1Channel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let http: HTTP1Channel.Value
        /// The client the PROXY header names (nil: the socket's peer, for LOCAL or UNKNOWN);
        /// nil itself for a direct connection.
        let proxiedClient: EventLoopFuture<IPAddress?>?

        var channel: any Channel { http.channel }
    }

    let http: HTTP1Channel
    let settings: ProxyProtocolSettings

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let peer = channel.remoteAddress?.ipAddress ?? "unknown"
        guard settings.trusts(peer: peer) else {
            return http.setup(channel: channel, logger: logger).map { Value(http: $0, proxiedClient: nil) }
        }
        let client = channel.eventLoop.makePromise(of: IPAddress?.self)
        // A refused or missing header closes the channel; a promise already kept stays kept.
        channel.closeFuture.whenComplete { _ in client.fail(ChannelError.ioOnClosedChannel) }
        do {
            try channel.pipeline.syncOperations.addHandler(
                ProxyHeaderHandler(deadline: settings.headerDeadline, logger: logger) { _, header in
                    client.succeed(header.endpoints?.source.unmappingIPv4)
                })
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http.setup(channel: channel, logger: logger).map { Value(http: $0, proxiedClient: client.futureResult) }
    }

    func handle(value: Value, logger: Logger) async {
        guard let proxiedClient = value.proxiedClient else {
            return await http.handle(value: value.http, logger: logger)
        }
        // After a refused header the channel is closed and the HTTP handling ends at once.
        let client = (try? await proxiedClient.get()) ?? nil
        await WebRequestContext.$proxiedClient.withValue(client) {
            await http.handle(value: value.http, logger: logger)
        }
    }
}
