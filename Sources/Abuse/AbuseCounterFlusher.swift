import Directory
import Logging
import SMTPCore
import ServiceLifecycle

/// Writes a ``BufferedAbuseStore``'s counters to the shared store every `interval`, and once
/// more at shutdown.
///
/// Run it in the service group *before* the SMTP listeners: the group stops services in
/// reverse order, so the last flush happens after the sessions have drained.
public struct AbuseCounterFlusher: Service {
    /// The default interval: across servers sharing a database, a limit may be overshot by what
    /// the others accept within it.
    public static let defaultInterval: Duration = .seconds(1)

    private let store: BufferedAbuseStore
    private let interval: Duration
    private let logger: Logger

    public init(store: BufferedAbuseStore, interval: Duration = AbuseCounterFlusher.defaultInterval, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while true {
            // The sleep ends early at shutdown; the final flush below follows at once.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await flush()
        }
        // In a task of its own: when the group is cancelled rather than shut down gracefully,
        // the last counts are still written.
        await Task { await flush() }.value
    }

    private func flush() async {
        do {
            try await store.flush()
        } catch {
            // The additions stay pending and go with the next flush.
            logger.error("cannot write the abuse counters", metadata: [
                "error": .stringConvertible(LoggedText(describing: error)), "pending": .stringConvertible(store.unflushedAdditions),
            ])
        }
    }
}
