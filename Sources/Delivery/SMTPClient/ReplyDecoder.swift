import NIOCore
import SMTPCore

/// Frames the server's byte stream into ``Reply`` values (RFC 5321 §4.2), bounded in memory.
///
/// Lines end in LF (a preceding CR is removed). A line longer than
/// ``ReplyParser/maximumLineLength`` or anything that is not a reply is an error: the
/// connection is given up, never trusted further.
final class ReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = Reply

    private var parser = ReplyParser()

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > ReplyParser.maximumLineLength + 2 {
                throw SMTPClientError.protocolViolation("reply line too long")
            }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        var line = buffer.readBytes(length: length) ?? []
        buffer.moveReaderIndex(forwardBy: 1)
        if line.last == 0x0D { line.removeLast() }
        do {
            if case .complete(let reply) = try parser.feed(line) {
                context.fireChannelRead(wrapInboundOut(reply))
            }
        } catch {
            throw SMTPClientError.protocolViolation("\(error)")
        }
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial reply at close is dropped: the dispatcher reports the closed connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
