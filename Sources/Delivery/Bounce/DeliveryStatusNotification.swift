import Foundation
import SMTPCore
import Spool

/// A delivery status notification (RFC 3464) as a `multipart/report` message (RFC 6522).
///
/// ```
/// Content-Type: multipart/report; report-type=delivery-status; boundary="…"
///   text/plain                 what happened, for people
///   message/delivery-status    per-message and per-recipient fields (RFC 3464 §2.2, §2.3)
///   message/rfc822 or text/rfc822-headers   the original (RET=FULL / RET=HDRS, RFC 3461 §4.3)
/// ```
public struct DeliveryStatusNotification: Sendable {
    /// RFC 3464 §2.3.3 action values.
    public enum Action: String, Sendable, Hashable {
        /// The recipient failed for good.
        case failed
        /// Still trying.
        case delayed
        /// Delivered to the mailbox.
        case delivered
        /// Handed to a system that will not send DSNs itself.
        case relayed
    }

    /// One recipient's block (RFC 3464 §2.3).
    public struct RecipientReport: Sendable, Hashable {
        /// The path the message was sent to (`Final-Recipient: rfc822; …`).
        public var finalRecipient: ForwardPath
        /// ORCPT as given at submission, for `Original-Recipient` (RFC 3464 §2.3.1).
        public var originalRecipient: OriginalRecipient?
        /// What happened.
        public var action: Action
        /// The reply that explains it; its enhanced code is the `Status`.
        public var reply: Reply
        /// The server that gave the reply, if remote.
        public var remoteMTA: String?
        /// When delivery was last tried.
        public var lastAttempt: Date?
        /// For delayed recipients: when we give up.
        public var willRetryUntil: Date?

        /// Creates a report.
        public init(finalRecipient: ForwardPath, originalRecipient: OriginalRecipient? = nil, action: Action, reply: Reply,
                    remoteMTA: String? = nil, lastAttempt: Date? = nil, willRetryUntil: Date? = nil) {
            self.finalRecipient = finalRecipient
            self.originalRecipient = originalRecipient
            self.action = action
            self.reply = reply
            self.remoteMTA = remoteMTA
            self.lastAttempt = lastAttempt
            self.willRetryUntil = willRetryUntil
        }

        /// The final recipient as written in the report; `postmaster` for `<Postmaster>`.
        public var finalAddress: String { finalRecipient.mailbox?.string ?? "postmaster" }

        /// RFC 3464 §2.3.4 `Status`: the reply's enhanced code, or one derived from its class.
        public var status: EnhancedStatusCode {
            if let enhanced = reply.enhanced { return enhanced }
            switch action {
            case .delivered, .relayed: return .success
            case .delayed: return .otherTransient
            case .failed: return reply.isTransientFailure ? .otherTransient : .otherPermanent
            }
        }
    }

    /// Our host name (`Reporting-MTA: dns; …`, the From address).
    public var reportingMTA: String
    /// Where the DSN goes: the original envelope sender.
    public var recipient: Mailbox
    /// RFC 3461 §4.4 ENVID of the original message.
    public var envelopeID: String?
    /// When the original arrived.
    public var arrivalDate: Date
    /// The recipients being reported on.
    public var reports: [RecipientReport]
    /// RFC 3461 §4.3: `.headers` returns only the original header.
    public var returnContent: DSNReturn
    /// Original messages larger than this are returned as headers only.
    public var maximumReturnedSize: Int

    /// Creates a DSN.
    public init(reportingMTA: String, recipient: Mailbox, envelopeID: String?, arrivalDate: Date,
                reports: [RecipientReport], returnContent: DSNReturn = .full, maximumReturnedSize: Int = 10 * 1024 * 1024) {
        self.reportingMTA = reportingMTA
        self.recipient = recipient
        self.envelopeID = envelopeID
        self.arrivalDate = arrivalDate
        self.reports = reports
        self.returnContent = returnContent
        self.maximumReturnedSize = maximumReturnedSize
    }

    /// True when any recipient failed (a bounce rather than a delay or success notice).
    public var isFailure: Bool { reports.contains { $0.action == .failed } }

    /// The subject line.
    public var subject: String {
        if isFailure { return "Undelivered Mail Returned to Sender" }
        if reports.contains(where: { $0.action == .delayed }) { return "Delayed Mail (still being retried)" }
        return "Successful Mail Delivery Report"
    }

    /// Renders the whole message, CRLF line endings, with the original read from `source`.
    public func render(original source: MessageSource?, now: Date, uniqueToken: String) -> [UInt8] {
        let original = (try? source?.open().readAll()) ?? []
        return render(original: original, now: now, uniqueToken: uniqueToken)
    }

    /// Renders the whole message, CRLF line endings.
    public func render(original: [UInt8], now: Date, uniqueToken: String) -> [UInt8] {
        let boundary = "=_\(uniqueToken)/\(reportingMTA)"
        let headerOnly = returnContent == .headers || original.count > maximumReturnedSize
        let returned = headerOnly ? Self.headerSection(of: original) : original
        let eightBit = returned.contains { $0 >= 0x80 }

        var out = ""
        func line(_ text: String = "") { out += text + "\r\n" }
        line("From: Mail Delivery System <MAILER-DAEMON@\(reportingMTA)>")
        line("To: <\(recipient.string)>")
        line("Subject: \(subject)")
        line("Date: \(Self.date(now))")
        line("Message-ID: \(MessageID.make(uniqueToken: uniqueToken, hostname: reportingMTA))")
        // RFC 3834 §5: automatic responses must not trigger further automatic responses.
        line("Auto-Submitted: auto-replied")
        line("MIME-Version: 1.0")
        line("Content-Type: multipart/report; report-type=delivery-status;")
        line("\tboundary=\"\(boundary)\"")
        line()
        line("This is a MIME-encapsulated message.")
        line()
        line("--\(boundary)")
        line("Content-Type: text/plain; charset=utf-8")
        line("Content-Transfer-Encoding: 8bit")
        line()
        for text in humanText() { line(text) }
        line()
        line("--\(boundary)")
        line("Content-Type: message/delivery-status")
        line()
        // Per-message fields (RFC 3464 §2.2).
        line("Reporting-MTA: dns; \(reportingMTA)")
        if let envelopeID { line("Original-Envelope-Id: \(FieldText.singleLine(envelopeID))") }
        line("Arrival-Date: \(Self.date(arrivalDate))")
        for report in reports {
            // Per-recipient fields (RFC 3464 §2.3), each block after a blank line.
            line()
            if let original = report.originalRecipient {
                line("Original-Recipient: \(FieldText.singleLine(original.addressType)); \(FieldText.singleLine(original.address))")
            }
            line("Final-Recipient: rfc822; \(FieldText.singleLine(report.finalAddress))")
            line("Action: \(report.action.rawValue)")
            line("Status: \(report.status)")
            if let remote = report.remoteMTA { line("Remote-MTA: dns; \(FieldText.singleLine(remote))") }
            if report.reply.code != 250 || report.remoteMTA != nil {
                line("Diagnostic-Code: smtp; \(FieldText.singleLine(Self.diagnostic(report.reply)))")
            }
            if let last = report.lastAttempt { line("Last-Attempt-Date: \(Self.date(last))") }
            if let until = report.willRetryUntil { line("Will-Retry-Until: \(Self.date(until))") }
        }
        line()
        line("--\(boundary)")
        line(headerOnly ? "Content-Type: text/rfc822-headers" : "Content-Type: message/rfc822")
        if eightBit { line("Content-Transfer-Encoding: 8bit") }
        line()
        var bytes = Array(out.utf8)
        bytes += Self.normalizedLineEndings(returned)
        if !(bytes.suffix(2) == [0x0D, 0x0A]) { bytes += [0x0D, 0x0A] }
        bytes += Array("\r\n--\(boundary)--\r\n".utf8)
        return bytes
    }


    private func humanText() -> [String] {
        var text = ["This is the mail system at host \(reportingMTA).", ""]
        let failed = reports.filter { $0.action == .failed }
        let delayed = reports.filter { $0.action == .delayed }
        let delivered = reports.filter { $0.action == .delivered || $0.action == .relayed }
        if !failed.isEmpty {
            text += ["I'm sorry to have to inform you that your message could not",
                     "be delivered to one or more recipients. It's attached below.", ""]
            for report in failed {
                text.append("<\(report.finalAddress)>: \(report.remoteMTA.map { "host \($0) said: " } ?? "")\(Self.diagnostic(report.reply))")
            }
            text.append("")
        }
        if !delayed.isEmpty {
            text += ["Your message could not be delivered yet to the recipients below.",
                     "Delivery will be retried; you do not need to resend it.", ""]
            for report in delayed {
                let until = report.willRetryUntil.map { " (will retry until \(Self.date($0)))" } ?? ""
                text.append("<\(report.finalAddress)>: \(Self.diagnostic(report.reply))\(until)")
            }
            text.append("")
        }
        if !delivered.isEmpty {
            text += ["Your message was delivered to:", ""]
            for report in delivered { text.append("<\(report.finalAddress)>") }
            text.append("")
        }
        return text
    }

    /// `550 5.1.1 no such user` on one line.
    static func diagnostic(_ reply: Reply) -> String {
        var text = "\(reply.code)"
        if let enhanced = reply.enhanced { text += " \(enhanced)" }
        let joined = reply.lines.joined(separator: " ")
        if !joined.isEmpty { text += " \(joined)" }
        return text
    }

    static func date(_ date: Date) -> String {
        RFC5322Date(secondsSince1970: Int64(date.timeIntervalSince1970)).description
    }

    /// The header section of a message, up to and including the blank line.
    static func headerSection(of message: [UInt8]) -> [UInt8] {
        var index = 0
        while index < message.count {
            if message[index] == 0x0A {
                let next = index + 1
                if next < message.count, message[next] == 0x0A { return Array(message[...next]) }
                if next + 1 < message.count, message[next] == 0x0D, message[next + 1] == 0x0A {
                    return Array(message[...(next + 1)])
                }
            }
            index += 1
        }
        return message
    }

    /// Bare LF → CRLF, so the DSN is valid SMTP data whatever the original used.
    static func normalizedLineEndings(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 50)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        return out
    }
}
