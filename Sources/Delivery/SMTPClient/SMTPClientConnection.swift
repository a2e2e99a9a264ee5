import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore

/// One SMTP client connection: commands out, replies in, with the RFC 5321 §4.5.3.2 timeouts.
///
/// Used by one task at a time. A timeout closes the connection (the dialogue can no longer
/// be trusted to line up) and surfaces as ``SMTPClientError/timeout(stage:)``.
///
/// ```
/// S: 220 mx.example.net ESMTP
/// C: EHLO mail.alato.example
/// S: 250-mx.example.net
/// S: 250 PIPELINING
/// ```
public final class SMTPClientConnection: @unchecked Sendable {
    // @unchecked: the mutable fields are only touched by the single task driving the
    // connection; channel-side state lives in the dispatcher on the event loop.
    let channel: any Channel
    private let dispatcher: NIOLoopBound<ReplyDispatcher>
    /// The timeouts in force.
    public let timeouts: SMTPClientTimeouts
    /// The server's host name (for TLS SNI, logs and DSN Remote-MTA).
    public let hostName: String
    /// The address connected to, e.g. `127.0.0.1:2626`.
    public let peerDescription: String
    /// What the last EHLO offered.
    public private(set) var capabilities = ServerCapabilities.none
    /// True once STARTTLS completed.
    public private(set) var isTLS = false
    /// The 220 greeting.
    public private(set) var greeting: Reply?
    /// True once the session spoke LHLO: the server answers the end of data once per
    /// accepted recipient (RFC 2033 §4.2).
    public private(set) var isLMTP = false

    private init(channel: any Channel, dispatcher: NIOLoopBound<ReplyDispatcher>, timeouts: SMTPClientTimeouts,
                 hostName: String, peerDescription: String) {
        self.channel = channel
        self.dispatcher = dispatcher
        self.timeouts = timeouts
        self.hostName = hostName
        self.peerDescription = peerDescription
    }

    /// Connects to `address`:`port` (an IP address) and reads nothing yet.
    public static func connect(address: String, port: Int, hostName: String, group: any EventLoopGroup,
                               timeouts: SMTPClientTimeouts) async throws -> SMTPClientConnection {
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address, port: port)
        } catch {
            throw SMTPClientError.connectFailed("\(address) is not an IP address")
        }
        let peer = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        return try await connect(to: socketAddress, peerDescription: peer, hostName: hostName, group: group,
                                 timeouts: timeouts)
    }

    /// Connects to `socketAddress` (TCP, or a unix socket for LMTP) and reads nothing yet.
    public static func connect(to socketAddress: SocketAddress, peerDescription: String, hostName: String,
                               group: any EventLoopGroup, timeouts: SMTPClientTimeouts) async throws -> SMTPClientConnection {
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeouts.connect))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ReplyDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ReplyDispatcher())
                }
            }
        if socketAddress.protocol != .unix {
            // TCP level (IPPROTO_TCP), not socket level, where the same number means SO_DEBUG.
            bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: socketAddress).get()
        } catch {
            throw SMTPClientError.connectFailed("\(peerDescription): \(error)")
        }
        let dispatcher = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ReplyDispatcher.self), eventLoop: channel.eventLoop)
        }.get()
        return SMTPClientConnection(channel: channel, dispatcher: dispatcher, timeouts: timeouts,
                                    hostName: hostName, peerDescription: peerDescription)
    }

    /// Waits for the next reply, closing the connection if it does not come within `timeout`.
    public func readReply(timeout: Duration, stage: String) async throws -> Reply {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Reply.self)
        let dispatcher = self.dispatcher
        let channel = self.channel
        loop.execute {
            dispatcher.value.wait(promise)
            let timer = loop.scheduleTask(in: TimeAmount(timeout)) {
                promise.fail(SMTPClientError.timeout(stage: stage))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
        }
        do {
            // Cancellation (service shutdown) closes the connection, which fails the wait at once
            // instead of after the RFC timeout.
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch let error as SMTPClientError {
            throw error
        } catch let error as NIOSSLError {
            throw SMTPClientError.tlsFailed("\(error)")
        } catch let error as BoringSSLError {
            throw SMTPClientError.tlsFailed("\(error)")
        } catch {
            throw SMTPClientError.protocolViolation("\(error)")
        }
    }

    /// Reads the 220 greeting (RFC 5321 §4.5.3.2.1 timeout).
    public func readGreeting() async throws -> Reply {
        let reply = try await readReply(timeout: timeouts.greeting, stage: "the greeting")
        greeting = reply
        return reply
    }

    /// Writes command lines (each gets CRLF) in one flush: one line, or a pipelined group.
    public func send(_ lines: [String]) async throws {
        var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 2 })
        for line in lines {
            buffer.writeString(line)
            buffer.writeString("\r\n")
        }
        try await write(buffer, timeout: timeouts.command, stage: lines.first.map { String($0.prefix(4)) } ?? "write")
    }

    /// Sends one command and waits for its reply.
    public func command(_ line: String, timeout: Duration? = nil, stage: String? = nil) async throws -> Reply {
        try await send([line])
        return try await readReply(timeout: timeout ?? timeouts.command, stage: stage ?? String(line.prefix(4)))
    }

    /// EHLO, falling back to HELO when EHLO is refused (RFC 5321 §3.2). Sets ``capabilities``.
    public func hello(clientName: String) async throws -> Reply {
        let ehlo = try await command("EHLO \(clientName)", stage: "EHLO")
        if ehlo.isPositive {
            capabilities = ServerCapabilities(ehloReply: ehlo)
            return ehlo
        }
        if ehlo.code == 421 { return ehlo }
        let helo = try await command("HELO \(clientName)", stage: "HELO")
        capabilities = .none
        return helo
    }

    /// LHLO (RFC 2033 §4.1), LMTP's EHLO: there is no HELO to fall back to. Sets ``capabilities``.
    public func lmtpHello(clientName: String) async throws -> Reply {
        let reply = try await command("LHLO \(clientName)", stage: "LHLO")
        isLMTP = true
        capabilities = reply.isPositive ? ServerCapabilities(ehloReply: reply) : .none
        return reply
    }

    /// Sends STARTTLS and, after 220, runs the TLS handshake (RFC 3207 §4). Returns the
    /// STARTTLS reply when the server refused; throws ``SMTPClientError/tlsFailed(_:)`` when the
    /// handshake fails. The caller must send EHLO again afterwards (RFC 3207 §4.2).
    public func startTLS(context: NIOSSLContext, serverName: String?) async throws -> Reply {
        let reply = try await command("STARTTLS", stage: "STARTTLS")
        guard reply.code == 220 else { return reply }
        let dispatcher = self.dispatcher
        let channel = self.channel
        // SNI takes a host name, never an address literal.
        let sni = serverName.flatMap { name -> String? in
            (try? SocketAddress(ipAddress: name, port: 0)) == nil && !name.isEmpty ? name : nil
        }
        // The handshake starts as soon as the handler is in place; writes wait for it, and a
        // failure reaches the dispatcher, so the next reply (to EHLO) reports it as tlsFailed.
        try await channel.eventLoop.submit {
            // Replies buffered after 220 came in clear text and were not asked for: an
            // injection attempt (RFC 3207 §6). Give the connection up.
            guard dispatcher.value.bufferedCount == 0 else {
                channel.close(promise: nil)
                throw SMTPClientError.protocolViolation("data after 220 to STARTTLS")
            }
            do {
                let tls = try NIOSSLClientHandler(context: context, serverHostname: sni)
                try channel.pipeline.syncOperations.addHandler(tls, position: .first)
            } catch {
                channel.close(promise: nil)
                throw SMTPClientError.tlsFailed("\(error)")
            }
        }.get()
        isTLS = true
        capabilities = .none
        return reply
    }

    /// Writes raw bytes (message data) and waits until they are flushed, at most one data
    /// block timeout (RFC 5321 §4.5.3.2.5).
    public func writeData(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await write(buffer, timeout: timeouts.dataBlock, stage: "a data block")
    }

    /// Sends RSET and reads its reply.
    public func reset() async throws -> Reply {
        try await command("RSET", stage: "RSET")
    }

    /// Sends QUIT, waits briefly for 221 and closes.
    public func quit() async {
        if channel.isActive {
            _ = try? await command("QUIT", timeout: .seconds(5), stage: "QUIT")
        }
        close()
    }

    /// Closes the connection at once.
    public func close() {
        channel.close(promise: nil)
    }

    /// True while the TCP connection is open.
    public var isActive: Bool { channel.isActive }

    private func write(_ buffer: ByteBuffer, timeout: Duration, stage: String) async throws {
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try await channel.writeAndFlush(buffer).get()
        } catch {
            throw channel.isActive ? SMTPClientError.protocolViolation("write failed: \(error)") : SMTPClientError.connectionClosed
        }
    }
}
