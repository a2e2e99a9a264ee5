@testable import Delivery
import Glibc
import NIOCore
import NIOPosix
import Testing

/// The options the delivery client sets on its socket, read back from the live socket.
@Suite struct SMTPClientSocketOptionTests {
    /// TCP_NODELAY at IPPROTO_TCP (pipelined MAIL/RCPT/DATA go out at once); never SO_DEBUG,
    /// which shares its number at SOL_SOCKET and fails with EACCES for an unprivileged process.
    @Test func clientSocketHasNoDelayAtTheTCPLevelAndNoSocketDebug() async throws {
        let sink = try await SmtpSink.start()
        defer { sink.stop() }
        let connection = try await SMTPClientConnection.connect(
            address: "127.0.0.1", port: sink.port, hostName: "localhost",
            group: MultiThreadedEventLoopGroup.singleton, timeouts: .uniform(.seconds(10)))
        defer { connection.close() }
        let noDelay = try await connection.channel.getOption(ChannelOptions.tcpOption(.tcp_nodelay)).get()
        let socketDebug = try await connection.channel.getOption(
            ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_DEBUG))).get()
        #expect(noDelay != 0)
        #expect(socketDebug == 0)
    }
}
