import Directory
import Foundation
import Policy

/// Whether the visitor's own line is flagged as probably infected: the collector's counts for
/// the visitor's subscriber (IPv4 address or IPv6 /64) in the window, judged by the same
/// ``OP25BInfectionRule`` as the operator's list and notice.
///
/// Only the visitor's own subscriber is ever looked up, so the page tells nothing about
/// other addresses.
public struct OP25BInfectionLookup: Sendable {
    public let store: any OP25BAttemptStore
    public let rule: OP25BInfectionRule
    let now: @Sendable () -> Date

    public init(store: any OP25BAttemptStore, rule: OP25BInfectionRule, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.rule = rule
        self.now = now
    }

    /// The notice for `client`, or nil when its line is not flagged. Throws when the directory fails.
    public func suspicion(for client: IPAddress) async throws -> CheckResult.Suspicion? {
        let subscriber = OP25BSubscriber(address: client)
        guard let summary = try await store.attemptSummary(for: subscriber, since: now().addingTimeInterval(-rule.window)),
              rule.isProbablyInfected(attempts: summary.attempts, destinations: summary.destinations)
        else { return nil }
        let format = Date.ISO8601FormatStyle(timeZone: .gmt)
        return CheckResult.Suspicion(
            clientAddress: client.description, subscriber: subscriber.description, attempts: summary.attempts,
            destinations: summary.destinations, firstSeen: summary.firstSeen.formatted(format),
            lastSeen: summary.lastSeen.formatted(format), windowHours: Int(rule.window / 3600))
    }
}
