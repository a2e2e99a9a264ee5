import Foundation
import Spool

/// `portcullis queue list`: one line per message, then one indented line per recipient with
/// where it stands and the last error, as Postfix's `mailq` shows them.
///
/// ```
/// 0K8Q6Z4V3D2XJ7	2026-12-06T16:20:12Z	1873	<taro@alato.example>	2 recipient(s)	deferred
///     <friend@example.net>	deferred	451 4.4.1 connection refused (from 198.51.100.20)
///     <hanako@alato.example>	delivered
/// ```
///
/// Fields are separated by tabs so scripts can split them; a message line starts with the
/// queue ID, a recipient line with four spaces. The message's state is the least advanced
/// of its recipients', or `held`.
public enum QueueListing {
    /// Where a recipient stands, as listed: the delivery state, except that an undelivered
    /// recipient of a held message is `held` (it will not be tried until released).
    public enum RecipientState: String, Sendable, Hashable {
        case pending, deferred, held, delivered, failed

        /// The listed state of a recipient in `state`, of a message held or not.
        public init(_ state: DeliveryState, messageHeld: Bool) {
            switch state {
            case .pending: self = messageHeld ? .held : .pending
            case .deferred: self = messageHeld ? .held : .deferred
            case .delivered: self = .delivered
            case .failed: self = .failed
            }
        }
    }

    /// The whole listing, one line per message and per recipient, each ending in a newline.
    /// A held message (``SpooledMessageSummary/isHeld``) and its undelivered recipients are `held`.
    public static func render(_ messages: [SpooledMessageSummary]) -> String {
        var out = ""
        for message in messages {
            let held = message.isHeld
            out += messageLine(message, held: held) + "\n"
            for recipient in message.recipients {
                out += recipientLine(recipient, messageHeld: held) + "\n"
            }
        }
        return out
    }

    /// `ID<TAB>arrival<TAB>size<TAB><sender><TAB>N recipient(s)<TAB>state`.
    static func messageLine(_ message: SpooledMessageSummary, held: Bool) -> String {
        let state = held ? "held" : message.state.rawValue
        return [message.id.description, message.arrival.formatted(.iso8601), "\(message.size)",
                FieldText.singleLine(message.sender.description), "\(message.recipientCount) recipient(s)", state].joined(separator: "\t")
    }

    /// `    <address><TAB>state[<TAB>last error]`. The last error is shown while the recipient
    /// is not delivered: for a delivered one it is the accepting server's reply, not an error.
    static func recipientLine(_ recipient: SpoolRecipient, messageHeld: Bool) -> String {
        let state = RecipientState(recipient.state, messageHeld: messageHeld)
        var fields = ["    \(FieldText.singleLine(recipient.path.description))", state.rawValue]
        if recipient.state != .delivered, let reply = recipient.lastReply {
            fields.append(FieldText.singleLine(reply.description))
        }
        return fields.joined(separator: "\t")
    }
}
