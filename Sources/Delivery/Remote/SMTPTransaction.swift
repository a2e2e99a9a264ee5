import Foundation
import SMTPCore
import Spool

/// One mail transaction on an open, greeted connection (RFC 5321 §3.3; LMTP, RFC 2033, after
/// LHLO), with the extension checks that decide before sending whether the server can take the
/// message at all.
///
/// ```
/// C: MAIL FROM:<taro@alato.example> SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=QQ314159
/// C: RCPT TO:<hanako@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;hanako@example.net
/// C: DATA                                     (the three pipelined when PIPELINING is offered)
/// S: 250 2.1.0 Ok
/// S: 250 2.1.5 Ok
/// S: 354 End data with <CR><LF>.<CR><LF>
/// C: …message, dot-stuffed…
/// C: .
/// S: 250 2.0.0 Ok: queued as 4FgK2x
/// ```
public enum SMTPTransaction {
    /// Bytes read from the spool file per data block.
    static let chunkSize = 64 * 1024

    /// Checks that need no round trip: SIZE (RFC 1870 §6), SMTPUTF8 (RFC 6531 §3.4) and
    /// 8BITMIME (RFC 6152 §3). Returns the reply that fails every recipient, or nil.
    ///
    /// 8-bit content is not downconverted: a message declared `BODY=8BITMIME` for a server
    /// without 8BITMIME fails with 554 5.6.3 (conversion required but not supported).
    public static func precheck(_ message: OutboundMessage, capabilities: ServerCapabilities, host: String) -> Reply? {
        if let limit = capabilities.size, limit > 0, message.size > limit {
            return .messageTooBigForNextHop(size: message.size, limit: limit, host: host)
        }
        if message.requiresSMTPUTF8 && !capabilities.smtpUTF8 {
            return .nextHopLacksSMTPUTF8(host)
        }
        if message.body == .eightBitMIME && !capabilities.eightBitMIME {
            return .nextHopLacks8BitMIME(host)
        }
        if message.body == .binaryMIME {
            // BINARYMIME needs BDAT (RFC 3030 §3), which this client does not send.
            return .binaryMIMENotRelayed
        }
        return nil
    }

    /// The MAIL FROM command with the parameters the server offers.
    public static func mailCommand(_ message: OutboundMessage, capabilities: ServerCapabilities) -> String {
        var line = "MAIL FROM:\(message.sender)"
        guard capabilities.isExtended else { return line }
        if capabilities.size != nil { line += " SIZE=\(message.size)" }
        if capabilities.eightBitMIME, let body = message.body, body != .binaryMIME { line += " BODY=\(body.rawValue)" }
        if capabilities.smtpUTF8, message.requiresSMTPUTF8 { line += " SMTPUTF8" }
        if capabilities.dsn {
            if let ret = message.ret { line += " RET=\(ret.rawValue)" }
            if let envid = message.envelopeID { line += " ENVID=\(XText.encode(Array(envid.utf8)))" }
        }
        return line
    }

    /// The RCPT TO command with the DSN parameters when the server offers DSN (RFC 3461 §4).
    public static func recipientCommand(_ recipient: OutboundMessage.Recipient, capabilities: ServerCapabilities) -> String {
        var line = "RCPT TO:<\(recipient.address.string)>"
        if capabilities.isExtended && capabilities.dsn {
            if let notify = recipient.notify { line += " NOTIFY=\(notify.parameterValue)" }
            if let orcpt = recipient.originalRecipient {
                line += " ORCPT=\(orcpt.xtext)"
            }
        }
        return line
    }

    /// Runs the transaction and returns one result per recipient, in order.
    ///
    /// Throws ``SMTPClientError`` when the connection breaks; the caller then treats the
    /// recipients without a final result as deferred. After a failed transaction RSET is
    /// sent so the connection can carry the next message.
    public static func run(_ message: OutboundMessage, on connection: SMTPClientConnection) async throws -> [RecipientResult] {
        let host = connection.hostName
        let capabilities = connection.capabilities
        if let refusal = precheck(message, capabilities: capabilities, host: host) {
            return message.recipients.map { _ in RecipientResult(kind: .failed, reply: refusal) }
        }
        let timeouts = connection.timeouts
        let mail = mailCommand(message, capabilities: capabilities)
        let recipients = message.recipients.map { recipientCommand($0, capabilities: capabilities) }

        var mailReply: Reply
        var recipientReplies: [Reply] = []
        var dataReply: Reply?
        if capabilities.pipelining {
            // RFC 2920 §3.1: MAIL, RCPT… and DATA may go in one group; DATA must be last.
            try await connection.send([mail] + recipients + ["DATA"])
            mailReply = try await connection.readReply(timeout: timeouts.mail, stage: "MAIL")
            for _ in recipients {
                recipientReplies.append(try await connection.readReply(timeout: timeouts.recipient, stage: "RCPT"))
            }
            dataReply = try await connection.readReply(timeout: timeouts.dataInitiation, stage: "DATA")
        } else {
            mailReply = try await connection.command(mail, timeout: timeouts.mail, stage: "MAIL")
            if mailReply.isPositive {
                for command in recipients {
                    recipientReplies.append(try await connection.command(command, timeout: timeouts.recipient, stage: "RCPT"))
                }
            }
        }

        guard mailReply.isPositive else {
            _ = try? await connection.reset()
            return message.recipients.map { _ in RecipientResult.from(mailReply, remoteMTA: host) }
        }
        var results = recipientReplies.map { RecipientResult.from($0, remoteMTA: host) }
        let accepted = results.indices.filter { results[$0].kind == .delivered }

        if dataReply == nil {
            guard !accepted.isEmpty else {
                _ = try? await connection.reset()
                return results
            }
            dataReply = try await connection.command("DATA", timeout: timeouts.dataInitiation, stage: "DATA")
        }
        guard let dataReply, dataReply.code == 354 else {
            if let dataReply {
                for index in accepted { results[index] = RecipientResult.from(dataReply, remoteMTA: host) }
            }
            _ = try? await connection.reset()
            return results
        }
        guard !accepted.isEmpty else {
            // RFC 2920 §3.1: a server that answers 354 with no valid recipient gets an empty
            // message, whose reply is ignored.
            try await connection.writeData(Array(".\r\n".utf8))
            _ = try await connection.readReply(timeout: timeouts.dataTermination, stage: "the end of data")
            return results
        }

        try await sendBody(of: message, on: connection)
        if connection.isLMTP {
            // RFC 2033 §4.2: one reply per accepted recipient, in RCPT order, each that
            // recipient's own outcome (one mailbox may be over quota while another took it).
            for index in accepted {
                let final = try await connection.readReply(timeout: timeouts.dataTermination, stage: "the end of data")
                results[index] = RecipientResult.from(final, remoteMTA: host)
            }
            return results
        }
        let final = try await connection.readReply(timeout: timeouts.dataTermination, stage: "the end of data")
        for index in accepted { results[index] = RecipientResult.from(final, remoteMTA: host) }
        if !final.isPositive { _ = try? await connection.reset() }
        return results
    }

    /// Streams the spooled message, dot-stuffed, and the final `.` (RFC 5321 §4.5.2).
    static func sendBody(of message: OutboundMessage, on connection: SMTPClientConnection) async throws {
        let reader: MessageReader
        do {
            reader = try message.source.open()
        } catch {
            connection.close()
            throw SMTPClientError.protocolViolation("cannot read the spooled message: \(error)")
        }
        var stuffer = DotStuffer()
        while true {
            let chunk: [UInt8]
            do {
                chunk = try reader.read(upToCount: chunkSize)
            } catch {
                // Never let a truncated message be taken for the whole: drop the connection
                // before the final dot.
                connection.close()
                throw SMTPClientError.protocolViolation("reading the spooled message failed: \(error)")
            }
            guard !chunk.isEmpty else { break }
            try await connection.writeData(stuffer.stuff(chunk))
        }
        try await connection.writeData(stuffer.finish())
    }
}
