import BlockingWork
import Foundation
import Instruments
import Spool

/// The queue by state, as `portcullis_queue_messages` reports it: held messages (whatever their
/// recipients), messages with a recipient still to try for the first time (active), and those
/// waiting only for retries (deferred). Messages whose recipients are all done, about to be
/// removed, are not counted. The oldest age is that of the oldest message counted.
public struct QueueCensus: Sendable, Hashable {
    public var active = 0
    public var deferred = 0
    public var held = 0
    public var oldestAgeSeconds: Double = 0

    public init(_ messages: [QueuedMessage], now: Date) {
        var oldest: Date?
        for message in messages {
            if message.isHeld {
                held += 1
            } else {
                switch message.envelope.overallState {
                case .pending: active += 1
                case .deferred: deferred += 1
                case .delivered, .failed: continue
                }
            }
            oldest = min(oldest ?? message.envelope.arrival, message.envelope.arrival)
        }
        oldestAgeSeconds = oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
    }

    /// Reads the spool and sets the queue gauges: one listing per scrape, on the blocking pool
    /// (it reads the envelopes on disk).
    public static func sample(_ spool: Spool, into instruments: QueueInstruments) async {
        guard let census = try? await BlockingWorkPool.shared.run({ QueueCensus(try spool.queuedMessages(), now: Date()) })
        else { return }
        instruments.record(active: census.active, deferred: census.deferred, held: census.held,
                           oldestAgeSeconds: census.oldestAgeSeconds)
    }
}
