import Foundation
import Synchronization

/// Makes unique, strictly increasing ``QueueID``s for one process.
///
/// A logical clock: the time part never goes backwards (even if the wall clock does) and,
/// when more than 32,768 IDs are needed within one millisecond, moves on to the next
/// millisecond instead of wrapping the counter. So IDs from one generator never repeat.
public final class QueueIDGenerator: Sendable {
    private struct State {
        var milliseconds: UInt64 = 0
        var counter: UInt64 = 0
    }

    private static let counterLimit: UInt64 = 1 << (5 * UInt64(QueueID.counterLength))
    private let state = Mutex(State())
    private let clock: @Sendable () -> Date

    /// Creates a generator; `clock` is replaceable for tests.
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// The next ID.
    public func next() -> QueueID {
        let now = UInt64(max(0, clock().timeIntervalSince1970 * 1000))
        let (milliseconds, counter) = state.withLock { state -> (UInt64, UInt64) in
            if now > state.milliseconds {
                state.milliseconds = now
                state.counter = 0
            } else {
                state.counter += 1
                if state.counter == Self.counterLimit {
                    state.milliseconds += 1
                    state.counter = 0
                }
            }
            return (state.milliseconds, state.counter)
        }
        let random = UInt64.random(in: 0..<(1 << (5 * UInt64(QueueID.randomLength))))
        return QueueID(milliseconds: milliseconds, counter: counter, random: random)
    }
}
