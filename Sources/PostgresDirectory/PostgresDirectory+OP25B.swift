import Directory
import Foundation
import Policy
import PostgresNIO

/// Blocked port-25 attempts in the shared database (migration 2). Upserts are written in key
/// order (``OP25BAttemptTracker`` sorts its deltas), so two servers recording at once cannot
/// deadlock.
extension PostgresDirectory: OP25BAttemptStore {
    public func recordAttempts(_ attempts: [OP25BAttemptTracker.Delta], at now: Date) async throws {
        guard !attempts.isEmpty else { return }
        let bucket = OP25BAttemptBuckets.bucket(containing: now)
        let seen = Self.seconds(now)
        let logger = queryLogger
        try await inTransaction { connection in
            for delta in attempts {
                try await execute(connection, """
                    INSERT INTO op25b_attempts (subscriber, destination, bucket, attempts, first_seen, last_seen)
                    VALUES (\(delta.subscriber.description), \(delta.destination.description), \(bucket), \(delta.attempts), \(seen), \(seen))
                    ON CONFLICT (subscriber, destination, bucket) DO UPDATE SET
                        attempts = op25b_attempts.attempts + excluded.attempts,
                        last_seen = GREATEST(op25b_attempts.last_seen, excluded.last_seen)
                    """, logger)
            }
        }
    }

    public func attemptSummaries(since: Date) async throws -> [OP25BAttemptSummary] {
        try await summaries(since: since, subscriber: nil)
    }

    public func attemptSummary(for subscriber: OP25BSubscriber, since: Date) async throws -> OP25BAttemptSummary? {
        try await summaries(since: since, subscriber: subscriber).first
    }

    private func summaries(since: Date, subscriber: OP25BSubscriber?) async throws -> [OP25BAttemptSummary] {
        let start = OP25BAttemptBuckets.bucket(containing: since)
        let only = subscriber?.description
        let logger = queryLogger
        let rows = try await withConnection { connection in
            try await connection.query("""
                SELECT subscriber, SUM(attempts)::BIGINT, COUNT(DISTINCT destination)::BIGINT, MIN(first_seen), MAX(last_seen)
                FROM op25b_attempts WHERE bucket >= \(start) AND (\(only)::TEXT IS NULL OR subscriber = \(only))
                GROUP BY subscriber
                """, logger: logger).collect()
        }
        return OP25BAttemptSummary.sorted(try rows.map { row in
            let (subscriber, attempts, destinations, first, last) = try row.decode((String, Int, Int, Int, Int).self)
            return OP25BAttemptSummary(
                subscriber: try OP25BAttemptSummary.storedSubscriber(subscriber), attempts: attempts,
                destinations: destinations, firstSeen: Date(timeIntervalSince1970: TimeInterval(first)),
                lastSeen: Date(timeIntervalSince1970: TimeInterval(last)))
        })
    }

    @discardableResult
    public func pruneAttempts(before: Date) async throws -> Int {
        let start = OP25BAttemptBuckets.bucket(containing: before)
        let logger = queryLogger
        return try await withConnection { connection in
            try await Self.changes(connection, "DELETE FROM op25b_attempts WHERE bucket < \(start)", logger)
        }
    }

    public func claimOffenderNotice(for subscriber: OP25BSubscriber, at now: Date, interval: TimeInterval) async throws -> Bool {
        let time = Self.seconds(now)
        let after = Self.seconds(now.addingTimeInterval(-interval))
        let key = subscriber.description
        let logger = queryLogger
        return try await withConnection { connection in
            // Only the statement that changes the row claims it, so one server sends the notice.
            try await Self.changes(connection, """
                INSERT INTO op25b_notices (subscriber, notified) VALUES (\(key), \(time))
                ON CONFLICT (subscriber) DO UPDATE SET notified = excluded.notified
                WHERE op25b_notices.notified <= \(after)
                """, logger) > 0
        }
    }

    public func releaseOffenderNotice(for subscriber: OP25BSubscriber, claimedAt: Date) async throws {
        let time = Self.seconds(claimedAt)
        let key = subscriber.description
        let logger = queryLogger
        _ = try await withConnection { connection in
            try await Self.changes(connection, "DELETE FROM op25b_notices WHERE subscriber = \(key) AND notified = \(time)", logger)
        }
    }
}
