import Logging
import PostgresNIO

/// Runs a statement and reads its result to the end, so the connection goes back to the pool
/// with nothing pending.
func execute(_ connection: PostgresConnection, _ statement: PostgresQuery, _ logger: Logger) async throws {
    _ = try await connection.query(statement, logger: logger).collect()
}
