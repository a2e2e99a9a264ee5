import Foundation
import Policy

/// Blocked port-25 attempts per subscriber (IPv4 address or IPv6 /64) and destination over a
/// sliding window, for the infected-line verdict (``OP25BInfectionRule``).
///
/// It lives in the directory database so that every server sharing it (and the web checker,
/// and `portcullis op25b offenders`) sees the same counts. Attempts are kept in buckets of
/// ``bucketSeconds``; a window counts the buckets that start at or after its start rounded
/// down to a bucket, so a 24-hour window covers 24 hours to 24 hours and 10 minutes.
/// Every method takes the time from the caller. Errors are ``DirectoryError`` values.
public protocol OP25BAttemptStore: Sendable {
    /// Adds `attempts` (merged per subscriber and destination) in the bucket holding `now`.
    func recordAttempts(_ attempts: [OP25BAttemptTracker.Delta], at now: Date) async throws
    /// Every subscriber with attempts since `since`, most attempts first.
    func attemptSummaries(since: Date) async throws -> [OP25BAttemptSummary]
    /// One subscriber's attempts since `since`, or nil when it has none.
    func attemptSummary(for subscriber: OP25BSubscriber, since: Date) async throws -> OP25BAttemptSummary?
    /// Removes buckets that started before `before`; returns how many rows went.
    @discardableResult
    func pruneAttempts(before: Date) async throws -> Int
    /// Claims the right to send the operator a notice about `subscriber`: true, and recorded,
    /// when none was claimed after `now - interval`; false otherwise. Atomic, so servers
    /// sharing the directory send one notice between them.
    func claimOffenderNotice(for subscriber: OP25BSubscriber, at now: Date, interval: TimeInterval) async throws -> Bool
    /// Gives back the claim taken at `claimedAt` (the notice could not be spooled), so that a
    /// later sample claims it again; a newer claim is left as it is.
    func releaseOffenderNotice(for subscriber: OP25BSubscriber, claimedAt: Date) async throws
}

/// The bucket length of ``OP25BAttemptStore``: ten minutes.
public enum OP25BAttemptBuckets {
    public static let bucketSeconds = 600

    /// The start (seconds since 1970) of the bucket holding `date`.
    public static func bucket(containing date: Date) -> Int {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        return seconds - ((seconds % bucketSeconds) + bucketSeconds) % bucketSeconds
    }
}

/// One subscriber's blocked attempts in a window.
public struct OP25BAttemptSummary: Hashable, Sendable {
    public let subscriber: OP25BSubscriber
    /// Blocked connection attempts.
    public let attempts: Int
    /// Distinct destination addresses they went to.
    public let destinations: Int
    /// The first and the last sample that saw new attempts (to the sampling interval).
    public let firstSeen: Date
    public let lastSeen: Date

    public init(subscriber: OP25BSubscriber, attempts: Int, destinations: Int, firstSeen: Date, lastSeen: Date) {
        self.subscriber = subscriber
        self.attempts = attempts
        self.destinations = destinations
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }

    /// Most attempts first, then by subscriber: the order every listing uses.
    public static func sorted(_ summaries: [OP25BAttemptSummary]) -> [OP25BAttemptSummary] {
        summaries.sorted { ($1.attempts, $0.subscriber) < ($0.attempts, $1.subscriber) }
    }
}

extension OP25BAttemptSummary {
    /// A stored row's subscriber, typed; a row this build cannot read is a storage failure.
    package static func storedSubscriber(_ text: String) throws(DirectoryError) -> OP25BSubscriber {
        guard let subscriber = OP25BSubscriber(parsing: text) else {
            throw .storageFailure("op25b_attempts holds a subscriber this version cannot read (\(text))")
        }
        return subscriber
    }
}
