import Foundation
import SMTPCore

/// What a message made here consists of (``Spool/inject(_:from:to:content:hostname:arrival:)``).
public enum InjectedContent: Sendable {
    /// Bytes written here: a DSN, a notice. The closure receives the queue ID, for the
    /// Message-ID and MIME boundaries. Any octet above 127 declares `BODY=8BITMIME`
    /// (RFC 6152 §3), so the next hop is not sent 8-bit data undeclared.
    case generated(@Sendable (QueueID) throws -> [UInt8])
    /// A copy of a spooled message sent on (an alias's outside targets), keeping its
    /// BODY, SMTPUTF8, RET and ENVID (RFC 3461 §4: the DSN parameters travel with it).
    case copy(MessageSource, of: SpoolEnvelope)
}

extension Spool {
    /// Queues mail made here (DSNs, delay notices, forwards, the postmaster's notices) the
    /// way a client's message is queued, with an envelope that says where it came from:
    /// the loopback client address and our own host name as HELO. Durable on return.
    ///
    /// SMTPUTF8 is declared when an address needs it (RFC 6531 §3.4), or for a copy when the
    /// original declared it.
    @discardableResult
    public func inject(_ origin: MessageOrigin, from sender: ReversePath, to recipients: [SpoolRecipient],
                       content: InjectedContent, hostname: String, arrival: Date = Date()) async throws -> QueueID {
        let writer = try beginMessage()
        var envelope = SpoolEnvelope(
            sender: sender, recipients: recipients, arrival: arrival, clientAddress: "127.0.0.1",
            heloName: hostname, origin: origin)
        envelope.smtputf8 = sender.needsSMTPUTF8 || recipients.contains { $0.path.needsSMTPUTF8 }
        do {
            switch content {
            case .generated(let render):
                let bytes = try render(writer.id)
                try writer.write(bytes)
                if bytes.contains(where: { $0 >= 0x80 }) { envelope.body = .eightBitMIME }
            case .copy(let source, let original):
                let input = try source.open()
                while case let chunk = try input.read(upToCount: 64 * 1024), !chunk.isEmpty {
                    try writer.write(chunk)
                }
                envelope.ret = original.ret
                envelope.envelopeID = original.envelopeID
                envelope.body = original.body
                envelope.smtputf8 = envelope.smtputf8 || original.smtputf8
            }
        } catch {
            writer.abort()
            throw error
        }
        return try await writer.commit(envelope: envelope)
    }
}
