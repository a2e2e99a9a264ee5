import Directory
import Foundation
import Logging
import Policy
import SMTPCore
import ServiceLifecycle

/// Samples the OP25B blocked-attempt counters every `interval` (`[op25b] collect`), adds the
/// new attempts to the shared ``OP25BAttemptStore``, and tells the abuse contact once a day
/// about each subscriber the ``OP25BInfectionRule`` flags.
///
/// Where the counters come from is the caller's: `nft -j list set` on this host, or a file the
/// operator's tooling drops from a router. Each sample is read, parsed and turned into deltas
/// by ``OP25BAttemptTracker``; a failed read or write is logged and the next sample tries again
/// (the tracker keeps its baseline until the attempts are stored, so nothing is counted twice or
/// lost).
public struct OP25BCollector: Service {
    /// What one sample did.
    public struct Outcome: Sendable, Hashable {
        /// Counter elements read.
        public var elements: Int
        /// New attempts recorded (0 for the baseline).
        public var attempts: Int
        /// Subscribers the operator was told about in this sample.
        public var notified: [OP25BSubscriber]
    }

    private let read: @Sendable () async throws -> Data
    private let store: any OP25BAttemptStore
    private let rule: OP25BInfectionRule
    private let policy: OP25BPolicy
    private let notifier: InfectedLineNotifier
    private let interval: Duration
    private let clock: AbuseClock
    private let logger: Logger

    public init(read: @escaping @Sendable () async throws -> Data, store: any OP25BAttemptStore, rule: OP25BInfectionRule,
                policy: OP25BPolicy, notifier: InfectedLineNotifier, interval: Duration, clock: AbuseClock, logger: Logger) {
        self.read = read
        self.store = store
        self.rule = rule
        self.policy = policy
        self.notifier = notifier
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        var tracker = OP25BAttemptTracker()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let outcome = try await sample(&tracker)
                if outcome.attempts > 0 || !outcome.notified.isEmpty {
                    logger.info("op25b: sampled blocked attempts", metadata: [
                        "elements": .stringConvertible(outcome.elements), "attempts": .stringConvertible(outcome.attempts),
                        "notified": .string(outcome.notified.map(\.description).joined(separator: " ")),
                    ])
                }
            } catch {
                logger.error("op25b: cannot sample the blocked-attempt counters", metadata: [
                    "error": .stringConvertible(LoggedText(describing: error))])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Takes one sample: reads and records the counters, prunes what left the window, and
    /// notifies about newly flagged subscribers. The first call only sets the baseline.
    public func sample(_ tracker: inout OP25BAttemptTracker) async throws -> Outcome {
        let data = try await read()
        let readings = try OP25BAttemptReading.parse(nftJSON: data)
        let hadBaseline = tracker.hasBaseline
        // The tracker moves on only once the attempts are stored: a directory error leaves them
        // to be counted at the next sample instead of losing them.
        var next = tracker
        let deltas = next.record(readings)
        let now = clock.now()
        try await store.recordAttempts(deltas, at: now)
        tracker = next
        if !hadBaseline {
            logger.info("op25b: counter baseline taken", metadata: ["elements": .stringConvertible(readings.count)])
        }
        let since = now.addingTimeInterval(-rule.window)
        try await store.pruneAttempts(before: since)

        var notified: [OP25BSubscriber] = []
        // Only subscribers with new attempts can be newly flagged.
        for subscriber in Set(deltas.map(\.subscriber)).sorted() {
            guard let summary = try await store.attemptSummary(for: subscriber, since: since),
                  rule.isProbablyInfected(attempts: summary.attempts, destinations: summary.destinations),
                  try await store.claimOffenderNotice(for: subscriber, at: now, interval: rule.window)
            else { continue }
            let network = policy.accessNetwork(containing: subscriber.prefix.address)?.name
            do {
                try await notifier.notify(.init(summary: summary, accessNetwork: network, rule: rule, date: now))
            } catch {
                // Unclaimed, the notice is tried again at the line's next sample with attempts.
                try? await store.releaseOffenderNotice(for: subscriber, claimedAt: now)
                throw error
            }
            logger.notice("op25b: subscriber line probably infected", metadata: [
                "subscriber": .string(subscriber.description), "attempts": .stringConvertible(summary.attempts),
                "destinations": .stringConvertible(summary.destinations)])
            notified.append(subscriber)
        }
        return Outcome(elements: readings.count, attempts: deltas.reduce(0) { $0 + $1.attempts }, notified: notified)
    }
}
