import Foundation
import GRDB
import Policy

/// Blocked port-25 attempts in the same SQLite file as the directory (migration "v3").
extension SQLiteDirectory: OP25BAttemptStore {
    public func recordAttempts(_ attempts: [OP25BAttemptTracker.Delta], at now: Date) async throws {
        guard !attempts.isEmpty else { return }
        let bucket = OP25BAttemptBuckets.bucket(containing: now)
        let seen = Self.seconds(now)
        try await storage {
            try await self.pool.write { db in
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO op25b_attempts (subscriber, destination, bucket, attempts, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (subscriber, destination, bucket) DO UPDATE SET
                        attempts = attempts + excluded.attempts, last_seen = max(last_seen, excluded.last_seen)
                    """)
                for delta in attempts {
                    try upsert.execute(arguments: [delta.subscriber.description, delta.destination.description,
                                                   bucket, delta.attempts, seen, seen])
                }
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
        let summaries = try await storage {
            try await self.pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT subscriber, SUM(attempts) AS attempts, COUNT(DISTINCT destination) AS destinations,
                           MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen
                    FROM op25b_attempts WHERE bucket >= ? AND (? IS NULL OR subscriber = ?)
                    GROUP BY subscriber
                    """, arguments: [start, subscriber?.description, subscriber?.description]
                ).map { row in
                    OP25BAttemptSummary(
                        subscriber: try OP25BAttemptSummary.storedSubscriber(row["subscriber"]),
                        attempts: row["attempts"], destinations: row["destinations"],
                        firstSeen: Date(timeIntervalSince1970: TimeInterval(row["first_seen"] as Int)),
                        lastSeen: Date(timeIntervalSince1970: TimeInterval(row["last_seen"] as Int)))
                }
            }
        }
        return OP25BAttemptSummary.sorted(summaries)
    }

    @discardableResult
    public func pruneAttempts(before: Date) async throws -> Int {
        let start = OP25BAttemptBuckets.bucket(containing: before)
        return try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM op25b_attempts WHERE bucket < ?", arguments: [start])
                return db.changesCount
            }
        }
    }

    public func claimOffenderNotice(for subscriber: OP25BSubscriber, at now: Date, interval: TimeInterval) async throws -> Bool {
        let time = Self.seconds(now)
        let after = Self.seconds(now.addingTimeInterval(-interval))
        return try await storage {
            try await self.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO op25b_notices (subscriber, notified) VALUES (?, ?)
                    ON CONFLICT (subscriber) DO UPDATE SET notified = excluded.notified WHERE notified <= ?
                    """, arguments: [subscriber.description, time, after])
                return db.changesCount == 1
            }
        }
    }

    public func releaseOffenderNotice(for subscriber: OP25BSubscriber, claimedAt: Date) async throws {
        let time = Self.seconds(claimedAt)
        try await storage {
            try await self.pool.write { db in
                try db.execute(sql: "DELETE FROM op25b_notices WHERE subscriber = ? AND notified = ?",
                               arguments: [subscriber.description, time])
            }
        }
    }
}
