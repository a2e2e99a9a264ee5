import Foundation
import SMTPCore
import Spool

/// Tells the postmaster that an account was held: spools a short notice addressed to the
/// `[abuse] postmaster` address, which normal delivery then brings to that mailbox.
///
/// The notice has the null reverse-path, so that a failure to deliver it is never bounced
/// (RFC 5321 §4.5.5), and `Auto-Submitted: auto-generated` (RFC 3834 §5) so that nobody's
/// vacation responder answers it.
public struct SuspensionNotifier: Sendable {
    /// What happened, for the notice.
    public struct Event: Sendable, Hashable {
        /// The held account.
        public var account: String
        /// The client that sent the recipient that tripped the hold.
        public var clientAddress: String
        /// The burst numbers.
        public var evaluation: BurstRule.Evaluation
        /// The recent window, seconds.
        public var windowSeconds: Int
        /// When.
        public var date: Date
    }

    private let spool: Spool
    private let hostname: String
    private let postmaster: String

    /// A notifier spooling to `postmaster` through `spool`.
    public init(spool: Spool, hostname: String, postmaster: String) {
        self.spool = spool
        self.hostname = hostname
        self.postmaster = postmaster
    }

    /// Spools the notice; returns its queue ID.
    @discardableResult
    public func notify(_ event: Event) async throws -> QueueID {
        // The configured address is checked at load; one that is not a mailbox still reaches
        // delivery, which reports it.
        let recipient = Mailbox(parsing: postmaster).map { ForwardPath.mailbox($0) } ?? .postmaster
        return try await spool.inject(
            .accountHeldNotice, from: .null, to: [SpoolRecipient(path: recipient, notify: .never)],
            content: .generated { [self] id in Array(render(event, token: id.description).utf8) },
            hostname: hostname, arrival: event.date)
    }

    /// The notice as an RFC 5322 message with CRLF line ends.
    func render(_ event: Event, token: String) -> String {
        let minutes = max(1, event.windowSeconds / 60)
        let date = RFC5322Date(secondsSince1970: Int64(event.date.timeIntervalSince1970.rounded(.down)))
        let average = String(format: "%.1f", event.evaluation.hourlyAverage)
        let lines = [
            "From: Portcullis <MAILER-DAEMON@\(hostname)>",
            "To: <\(postmaster)>",
            "Subject: Account \(event.account) held: \(event.evaluation.recent) recipients in \(minutes) minutes",
            "Date: \(date)",
            "Message-ID: \(MessageID.make(uniqueToken: token + ".abuse", hostname: hostname))",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "The account \(event.account) sent to \(event.evaluation.recent) recipients in the last \(minutes) minutes,",
            "above its limit of \(event.evaluation.threshold) (its recent average is \(average) recipients per hour).",
            "It may be compromised.",
            "",
            "What Portcullis did:",
            "- the account's submission is suspended (550 5.7.1);",
            "- mail it sent from then on is held in the queue, not delivered.",
            "",
            "Last client address: \(event.clientAddress)",
            "",
            "To resume the account and deliver its held mail, once it is safe",
            "(for example after a password change):",
            "  portcullis user release \(event.account)",
            "To drop held mail instead: portcullis queue list (held messages say so),",
            "then portcullis queue delete ID.",
            "",
        ]
        return lines.joined(separator: "\r\n")
    }
}
