import NIOConcurrencyHelpers

/// Session IDs: short, unique within a process run, and (by a random prefix) distinct across restarts.
public final class SessionIDGenerator: Sendable {
    public init() {}

    private let value = NIOLockedValueBox<UInt64>(0)
    private let epoch = UInt64.random(in: 0..<(1 << 20))

    public func next() -> String {
        let next = value.withLockedValue { value -> UInt64 in
            value += 1
            return value
        }
        return String(epoch, radix: 36) + "-" + String(next, radix: 36)
    }
}
