import Foundation
import SMTPCore
import Spool

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
    /// The reply to report: the remote server's own, or one from the catalogue
    /// (`Reply+Delivery.swift`) for failures that had no reply (DNS, timeouts).
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

    /// The failure recorded when the queue lifetime runs out (RFC 3463 §3.5 X.4.7), whether the
    /// planner finds a deferred recipient too old or a retry would land past the lifetime:
    /// the last reply's code and text go into the text, its host stays the `Remote-MTA`.
    public static func deliveryTimeExpired(after last: DeliveryReply?) -> RecipientResult {
        RecipientResult(kind: .failed, reply: .deliveryTimeExpired(lastReply: last?.reply), remoteMTA: last?.remoteHost)
    }

    /// The reply as the spool keeps it for the recipient.
    public var deliveryReply: DeliveryReply {
        DeliveryReply(reply, remoteHost: remoteMTA)
    }

    /// For logs: `550 5.1.1 no such user (from mx.example.net)`.
    public var description: String { deliveryReply.description }
}
