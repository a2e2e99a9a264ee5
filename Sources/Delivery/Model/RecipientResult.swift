import Foundation
import SMTPCore

/// The outcome of one delivery attempt for one recipient.
public struct RecipientResult: Sendable, Hashable, CustomStringConvertible {
    /// Where the recipient stands after the attempt.
    public enum Kind: Sendable, Hashable {
        /// Accepted by the next hop or written to the mailbox.
        case delivered
        /// A transient failure: try again later (4yz, connection trouble, DNS trouble).
        case deferred
        /// A permanent failure: bounce (5yz, null MX, unknown user).
        case failed
    }

    /// Delivered, deferred or failed.
    public var kind: Kind
    /// The reply to report: the remote server's own, or one we made up with an enhanced
    /// status code for failures that had no reply (DNS, timeouts).
    public var reply: Reply
    /// The remote server the reply came from (DSN `Remote-MTA`, RFC 3464 §2.3.5), if any.
    public var remoteMTA: String?

    /// Creates a result.
    public init(kind: Kind, reply: Reply, remoteMTA: String? = nil) {
        self.kind = kind
        self.reply = reply
        self.remoteMTA = remoteMTA
    }

    /// A result from a server's reply: 2yz delivered, 4yz deferred, 5yz failed.
    public static func from(_ reply: Reply, remoteMTA: String?) -> RecipientResult {
        let kind: Kind = reply.isPositive ? .delivered : (reply.isPermanentFailure ? .failed : .deferred)
        return RecipientResult(kind: kind, reply: reply, remoteMTA: remoteMTA)
    }

    /// A transient failure that had no reply (connection trouble, DNS).
    public static func deferred(_ text: String, enhanced: EnhancedStatusCode = .init(4, 4, 1)) -> RecipientResult {
        RecipientResult(kind: .deferred, reply: Reply(code: 451, enhanced: enhanced, text))
    }

    /// For logs and the queue's last-error column: `550 5.1.1 no such user (from mx.example.net)`.
    /// ``init(lastError:kind:)`` reads it back, so a DSN written after a restart still has
    /// the remote server's reply.
    public var description: String {
        let text = reply.description
        guard let remoteMTA else { return text }
        return "\(text)\(Self.remoteMarker)\(remoteMTA))"
    }

    private static let remoteMarker = " (from "

    /// Reads a ``description`` back (from the spool's `lastError`). Text that does not start
    /// with a reply code becomes a 451 4.0.0 (or 554 5.0.0 for `.failed`) with that text.
    public init(lastError: String, kind: Kind) {
        var text = Substring(lastError)
        var remote: String?
        if text.hasSuffix(")"), let range = text.range(of: Self.remoteMarker, options: .backwards) {
            remote = String(text[range.upperBound...].dropLast())
            text = text[..<range.lowerBound]
        }
        let lines = text.components(separatedBy: " | ")
        if let first = lines.first, first.count >= 3, let code = Int(first.prefix(3)), (200..<600).contains(code) {
            // Each line is "ddd-text" or "ddd text" (Reply.description joins encoded lines).
            let stripped = lines.map { String($0.dropFirst(4)) }
            self.init(kind: kind, reply: ReplyParser.makeReply(code: code, lines: stripped), remoteMTA: remote)
        } else {
            let reply = kind == .failed ? Reply(code: 554, enhanced: .init(5, 0, 0), String(text))
                                        : Reply(code: 451, enhanced: .init(4, 0, 0), String(text))
            self.init(kind: kind, reply: reply, remoteMTA: remote)
        }
    }
}
