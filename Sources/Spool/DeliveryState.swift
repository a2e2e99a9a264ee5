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

    /// The state of a message as a whole: the least advanced of its recipients' states
    /// (pending, then deferred, then failed; delivered only when every recipient is).
    public static func leastAdvanced(of states: [DeliveryState]) -> DeliveryState {
        let present = Set(states)
        return [DeliveryState.pending, .deferred, .failed].first(where: present.contains) ?? .delivered
    }
}
