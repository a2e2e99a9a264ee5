import Foundation
import SMTPCore

/// Version 1 of the envelope and state encoding, read so that a queue written by an older
/// Portcullis is delivered after an upgrade: every field a string as the client sent it,
/// each recipient's last reply as the text `550 5.1.1 text | … (from host)`.
///
/// Converted to the typed envelope as it is read; nothing writes this form any more.
struct LegacyEnvelope: Decodable {
    /// A version 1 recipient; its delivery fields are also the version 1 state-file entry.
    struct Recipient: Decodable {
        var address: String?
        var notify: [String]?
        var orcpt: String?
        var state: DeliveryState
        var attempts: Int
        var nextAttempt: Date?
        var lastError: String?

        var status: RecipientDeliveryStatus {
            RecipientDeliveryStatus(state: state, attempts: attempts, nextAttempt: nextAttempt,
                                    lastReply: lastError.flatMap { LegacyEnvelope.reply(lastError: $0, state: state) })
        }
    }

    var sender: String
    var recipients: [Recipient]
    var dsnRet: String?
    var envid: String?
    var body: String?
    var smtputf8: Bool
    var arrival: Date
    var clientAddress: String
    var heloName: String?
    var authenticatedAccount: String?
    var service: String
    var size: Int

    func converted() throws -> SpoolEnvelope {
        let recipients = try recipients.map { recipient in
            guard let address = recipient.address else { throw Self.corrupt("a recipient without an address") }
            var converted = SpoolRecipient(path: try Self.forwardPath(address))
            converted.notify = recipient.notify.flatMap(DSNNotify.init(keywords:))
            converted.originalRecipient = recipient.orcpt.flatMap { Self.originalRecipient($0, service: service) }
            converted.deliveryStatus = recipient.status
            return converted
        }
        return SpoolEnvelope(
            sender: sender.isEmpty ? .null : .mailbox(try Self.mailbox(sender)), recipients: recipients,
            ret: dsnRet.flatMap { DSNReturn(rawValue: $0.uppercased()) }, envelopeID: envid,
            body: body.flatMap { BodyType(rawValue: $0.uppercased()) }, smtputf8: smtputf8, arrival: arrival,
            clientAddress: clientAddress, heloName: heloName, authenticatedAccount: authenticatedAccount,
            origin: try Self.origin(service), size: size)
    }

    /// Version 1 names the listener, or `bounce`, `forward`, `abuse` for mail made here
    /// (delay notices were `bounce` too).
    static func origin(_ service: String) throws -> MessageOrigin {
        switch service {
        case "bounce": return .deliveryReport
        case "forward": return .aliasForward
        case "abuse": return .accountHeldNotice
        default:
            guard let kind = ServiceKind(rawValue: service) else { throw corrupt("unknown service \(service)") }
            return .received(kind)
        }
    }

    /// `<Postmaster>` was stored as the bare word.
    static func forwardPath(_ address: String) throws -> ForwardPath {
        address.lowercased() == "postmaster" ? .postmaster : .mailbox(try mailbox(address))
    }

    /// Version 1 stored a mailbox as written in a path (quoted when needed).
    static func mailbox(_ text: String) throws -> Mailbox {
        guard let mailbox = Mailbox(parsing: text) else { throw corrupt("not a mailbox: \(text)") }
        return mailbox
    }

    /// Version 1 stored the ORCPT a client sent as `type;address`, the address already
    /// xtext-decoded (`rfc822;+41 22 555@example.net` stays as is). An alias forward given no
    /// ORCPT wrote one from the alias's address in xtext form (`rfc822;user+2Bx@example.net`,
    /// RFC 3461 §4.2), so a forward's value is decoded when it is valid xtext.
    static func originalRecipient(_ orcpt: String, service: String) -> OriginalRecipient? {
        if service == "forward", let original = OriginalRecipient(xtext: orcpt) { return original }
        guard let semicolon = orcpt.firstIndex(of: ";") else { return nil }
        return OriginalRecipient(addressType: String(orcpt[..<semicolon]),
                                 address: String(orcpt[orcpt.index(after: semicolon)...]))
    }

    private static let remoteMarker = " (from "

    /// A version 1 last error: reply lines joined by ` | `, each `ddd text` or `ddd-text`,
    /// then ` (from host)` for a remote reply. Text that does not start with a reply code
    /// becomes a 554 5.0.0 for a failed recipient, else a 451 4.0.0 (RFC 3463 §3.1 X.0.0).
    static func reply(lastError: String, state: DeliveryState) -> DeliveryReply? {
        guard !lastError.isEmpty else { return nil }
        var text = Substring(lastError)
        var remote: String?
        if text.hasSuffix(")"), let range = text.range(of: remoteMarker, options: .backwards) {
            remote = String(text[range.upperBound...].dropLast())
            text = text[..<range.lowerBound]
        }
        let lines = text.components(separatedBy: " | ")
        if let first = lines.first, first.count >= 3, let code = Int(first.prefix(3)), (200..<600).contains(code) {
            let stripped = lines.map { String($0.dropFirst(4)) }
            return DeliveryReply(Reply(code: code, enhancedPrefixedLines: stripped), remoteHost: remote)
        }
        let reply: Reply = state == .failed ? .undescribedPermanentFailure(String(text))
                                            : .undescribedTransientFailure(String(text))
        return DeliveryReply(reply, remoteHost: remote)
    }

    private static func corrupt(_ reason: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: reason))
    }
}
