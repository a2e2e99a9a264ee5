import Glibc
import NIOCore
import Testing
@testable import SMTPServer

/// The options set on accepted SMTP sockets, read back from the live socket.
@Suite struct SocketOptionTests {
    /// TCP_NODELAY lives at IPPROTO_TCP (tcp(7)); the same number at SOL_SOCKET is SO_DEBUG,
    /// which an unprivileged server may not set (EACCES) and a root server must not.
    @Test func acceptedSessionHasNoDelayAtTheTCPLevelAndNoSocketDebug() async throws {
        let server = try await TestServer()
        defer { server.stop() }
        let client = try await server.connect(.relay)
        #expect(await client.code() == 220)
        let sessions = server.listener.sessionChannels
        try #require(sessions.count == 1)
        let channel = sessions[0]
        let noDelay = try await channel.getOption(ChannelOptions.tcpOption(.tcp_nodelay)).get()
        let socketDebug = try await channel.getOption(
            ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_DEBUG))).get()
        #expect(noDelay != 0)
        #expect(socketDebug == 0)
        await client.close()
    }
}
