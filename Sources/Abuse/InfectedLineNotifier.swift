import Foundation
import Directory
import Policy
import SMTPCore
import Spool

/// Tells the abuse contact that a subscriber line is probably infected: spools a short notice
/// to `[op25b] abuse_contact`, which normal delivery brings to that mailbox.
///
/// Null reverse-path (RFC 5321 §4.5.5: a failed notice is never bounced) and
/// `Auto-Submitted: auto-generated` (RFC 3834 §5), as ``SuspensionNotifier``.
public struct InfectedLineNotifier: Sendable {
    /// What was seen, for the notice.
    public struct Event: Sendable, Hashable {
        public var summary: OP25BAttemptSummary
        /// The access network holding the subscriber, when the configuration names one.
        public var accessNetwork: String?
        public var rule: OP25BInfectionRule
        public var date: Date

        public init(summary: OP25BAttemptSummary, accessNetwork: String?, rule: OP25BInfectionRule, date: Date) {
            self.summary = summary
            self.accessNetwork = accessNetwork
            self.rule = rule
            self.date = date
        }
    }

    private let spool: Spool
    private let hostname: String
    private let contact: String

    public init(spool: Spool, hostname: String, contact: String) {
        self.spool = spool
        self.hostname = hostname
        self.contact = contact
    }

    /// Spools the notice; returns its queue ID.
    @discardableResult
    public func notify(_ event: Event) async throws -> QueueID {
        let recipient = Mailbox(parsing: contact).map { ForwardPath.mailbox($0) } ?? .postmaster
        return try await spool.inject(
            .infectedLineNotice, from: .null, to: [SpoolRecipient(path: recipient, notify: .never)],
            content: .generated { [self] id in Array(render(event, token: id.description).utf8) },
            hostname: hostname, arrival: event.date)
    }

    /// The notice as an RFC 5322 message with CRLF line ends.
    func render(_ event: Event, token: String) -> String {
        let summary = event.summary
        let date = RFC5322Date(secondsSince1970: Int64(event.date.timeIntervalSince1970.rounded(.down)))
        let hours = max(1, Int(event.rule.window / 3600))
        let format = Date.ISO8601FormatStyle(timeZone: .gmt)
        let lines = [
            "From: Portcullis <MAILER-DAEMON@\(hostname)>",
            "To: <\(contact)>",
            "Subject: Probably infected subscriber line \(summary.subscriber): \(summary.attempts) blocked port-25 attempts",
            "Date: \(date)",
            "Message-ID: \(MessageID.make(uniqueToken: token + ".op25b", hostname: hostname))",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "The subscriber address \(summary.subscriber)"
                + (event.accessNetwork.map { " (access network \($0))" } ?? "")
                + " made \(summary.attempts) port-25 connection",
            "attempts to \(summary.destinations) distinct outside addresses in the last \(hours) hours; Outbound Port 25",
            "Blocking rejected them all. Above \(event.rule.attemptThreshold) attempts to more than"
                + " \(event.rule.destinationThreshold) destinations,",
            "a device on that line is probably infected (spam or malware sending mail directly).",
            "",
            "First seen: \(summary.firstSeen.formatted(format))",
            "Last seen:  \(summary.lastSeen.formatted(format))",
            "",
            "The customer sees a notice on the checker page when visiting it from that line.",
            "Current list: portcullis op25b offenders",
            "This notice is sent at most once a day per address.",
            "",
        ]
        return lines.joined(separator: "\r\n")
    }
}
