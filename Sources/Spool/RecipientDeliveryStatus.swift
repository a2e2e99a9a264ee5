import Foundation

/// The mutable part of a recipient: what the delivery engine rewrites after each attempt.
///
/// Stored apart from the immutable envelope (`<id>.state`, one entry per recipient in
/// envelope order) so an update is one small atomic file replacement.
public struct RecipientDeliveryStatus: Sendable, Hashable, Codable {
    /// Delivery state.
    public var state: DeliveryState
    /// Attempts made so far.
    public var attempts: Int
    /// When to try again.
    public var nextAttempt: Date?
    /// The reply that ended the last attempt.
    public var lastReply: DeliveryReply?

    /// Creates a status value.
    public init(state: DeliveryState, attempts: Int = 0, nextAttempt: Date? = nil, lastReply: DeliveryReply? = nil) {
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastReply = lastReply
    }
}
