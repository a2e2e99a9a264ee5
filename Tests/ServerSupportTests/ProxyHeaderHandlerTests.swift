import Logging
import NIOCore
import NIOEmbedded
@testable import ServerSupport
import Testing

/// Records what reaches the handlers behind the PROXY header's, and whether it saw the
/// channel active (added to an active channel, as a session handler is).
private final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var received: [UInt8] = []
    var startedActive = false

    func handlerAdded(context: ChannelHandlerContext) {
        startedActive = context.channel.isActive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += Array(unwrapInboundIn(data).readableBytesView)
    }
}

@Suite("PROXY header handler")
struct ProxyHeaderHandlerTests {
    private let logger = Logger(label: "test")

    /// A channel whose header handler adds `recorder` once the header is read.
    private func channel(recorder: Recorder, headers: Box<[ProxyHeader]>) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handler = ProxyHeaderHandler(deadline: .seconds(5), logger: logger) { context, header in
            headers.value.append(header)
            try context.pipeline.syncOperations.addHandler(recorder)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.5", port: 40000)).wait()
        return channel
    }

    private func write(_ bytes: [UInt8], to channel: EmbeddedChannel) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    @Test("A header split over reads, with SMTP pipelined behind it: nothing reaches the session before the header, nothing after it is lost")
    func splitHeaderAndPipelinedInput() throws {
        let recorder = Recorder()
        let headers = Box<[ProxyHeader]>([])
        let channel = try channel(recorder: recorder, headers: headers)
        try write(Array("PROXY TCP4 198.51.100.7 ".utf8), to: channel)
        #expect(headers.value.isEmpty)
        try write(Array("192.0.2.25 50000 25\r\nEHLO client.example.net\r\nMAIL".utf8), to: channel)
        #expect(headers.value.count == 1)
        #expect(headers.value.first?.clientAddress(peer: "10.0.0.5") == "198.51.100.7")
        #expect(recorder.startedActive)
        #expect(recorder.received == Array("EHLO client.example.net\r\nMAIL".utf8))
        try write(Array(" FROM:<a@example.net>\r\n".utf8), to: channel)
        #expect(recorder.received == Array("EHLO client.example.net\r\nMAIL FROM:<a@example.net>\r\n".utf8))
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ProxyHeaderHandler.self) }
        #expect(channel.isActive)
    }

    @Test("An invalid header closes the connection and builds no session")
    func invalidHeader() throws {
        let recorder = Recorder()
        let headers = Box<[ProxyHeader]>([])
        let channel = try channel(recorder: recorder, headers: headers)
        try? write(Array("EHLO client.example.net\r\n".utf8), to: channel)
        #expect(!channel.isActive)
        #expect(headers.value.isEmpty)
        #expect(recorder.received.isEmpty)
    }

    @Test("No complete header within the deadline: closed")
    func deadline() throws {
        let recorder = Recorder()
        let headers = Box<[ProxyHeader]>([])
        let channel = try channel(recorder: recorder, headers: headers)
        try write(Array("PROXY TCP4 198.51".utf8), to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(headers.value.isEmpty)
    }
}

/// A mutable box the header callback can fill (the embedded loop runs on this thread).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
