/// Where delivery to one recipient stands (kept per recipient for the delivery engine).
public enum DeliveryState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not tried yet.
    case pending
    /// Accepted by the next hop or the local mailbox.
    case delivered
    /// A temporary failure; try again at `nextAttempt`.
    case deferred
    /// A permanent failure (or the queue lifetime ran out); a bounce is due unless NOTIFY says otherwise.
    case failed
}
