import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A minimal SMTP client on a real NIO channel: writes raw bytes, reads whole replies.
/// Raw bytes on purpose: the tests send what a broken or hostile client would.
final class TestClient: @unchecked Sendable {
    private let channel: Channel
    private let collector: Collector

    /// Collects everything the server sends, and whether it closed.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            received.withLockedValue { $0.append(contentsOf: bytes) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }

    private init(channel: Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int, implicitTLS: Bool = false) async throws -> TestClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(try TestClient.tlsHandler())
                    }
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestClient(channel: channel, collector: collector)
    }

    static func tlsHandler() throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try NIOSSLClientHandler(context: NIOSSLContext(configuration: configuration), serverHostname: nil)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Upgrades the connection after the server's 220 to STARTTLS.
    func startTLS() async throws {
        let handler = try Self.tlsHandler()
        try await channel.pipeline.addHandler(handler, position: .first)
    }

    /// Reads the next complete reply (multi-line aware); nil on timeout or close.
    func reply(timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let reply = takeReply() { return reply }
            if collector.closed.withLockedValue({ $0 }) { return takeReply() }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// The code of the next reply, or 0 on timeout.
    func code(timeout: Duration = .seconds(10)) async -> Int {
        guard let reply = await reply(timeout: timeout) else { return 0 }
        return Int(reply.prefix(3)) ?? 0
    }

    /// Nothing more arrives within `duration`.
    func isSilent(for duration: Duration) async -> Bool {
        try? await Task.sleep(for: duration)
        return collector.received.withLockedValue { $0.isEmpty }
    }

    var isClosed: Bool { collector.closed.withLockedValue { $0 } }

    /// Waits until the server closes the connection.
    func waitForClose(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosed { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func close() async {
        try? await channel.close()
    }

    // MARK: POP3

    /// The next POP3 response line without CRLF (`+OK ...`, `-ERR ...`, `+ `); nil on timeout.
    func popLine(timeout: Duration = .seconds(10)) async -> String? {
        await take(timeout: timeout) { bytes in
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let line = String(decoding: bytes[..<newline], as: UTF8.self)
            bytes.removeSubrange(...newline)
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
    }

    /// The raw octets of a multi-line body after its status line: everything up to and
    /// including the terminating `CRLF.CRLF` (RFC 1939 §3); nil on timeout.
    func popBody(timeout: Duration = .seconds(30)) async -> [UInt8]? {
        await take(timeout: timeout) { bytes in
            let terminator: [UInt8] = [0x2E, 0x0D, 0x0A]
            if bytes.starts(with: terminator) {
                bytes.removeSubrange(..<3)
                return terminator
            }
            let marker: [UInt8] = [0x0D, 0x0A, 0x2E, 0x0D, 0x0A]
            guard bytes.count >= 5 else { return nil }
            var index = 0
            while index + 5 <= bytes.count {
                if bytes[index] == 0x0D, Array(bytes[index..<(index + 5)]) == marker {
                    let body = Array(bytes[..<(index + 5)])
                    bytes.removeSubrange(..<(index + 5))
                    return body
                }
                index += 1
            }
            return nil
        }
    }

    private func take<T>(timeout: Duration, _ extract: (inout [UInt8]) -> T?) async -> T? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = collector.received.withLockedValue({ extract(&$0) }) { return value }
            if isClosed { return collector.received.withLockedValue { extract(&$0) } }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    /// Removes one full reply from the received bytes, if one is there.
    private func takeReply() -> String? {
        collector.received.withLockedValue { bytes -> String? in
            var start = 0
            while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = bytes[start..<newline]
                // "250-" continues, "250 " ends (RFC 5321 §4.2.1).
                if line.count >= 4 && line[line.startIndex + 3] == UInt8(ascii: " ") || line.count == 4 {
                    let reply = String(decoding: bytes[0...newline], as: UTF8.self)
                    bytes.removeSubrange(0...newline)
                    return reply
                }
                start = newline + 1
            }
            return nil
        }
    }
}
