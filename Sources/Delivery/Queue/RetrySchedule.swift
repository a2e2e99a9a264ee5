import Foundation

/// When to try a deferred recipient again: exponential backoff with a cap.
///
/// The default resembles Postfix (first retry after 5 minutes, doubling, at most an hour
/// apart): attempt 1 fails → 5 min, then 10, 20, 40, 60, 60 … minutes.
public struct RetrySchedule: Sendable, Hashable {
    /// The wait after the first failed attempt.
    public var initialDelay: TimeInterval
    /// Factor applied after every further failure.
    public var multiplier: Double
    /// The longest wait between attempts.
    public var maximumDelay: TimeInterval

    /// Creates a schedule.
    public init(initialDelay: TimeInterval = 300, multiplier: Double = 2, maximumDelay: TimeInterval = 3600) {
        self.initialDelay = max(0, initialDelay)
        self.multiplier = max(1, multiplier)
        self.maximumDelay = max(self.initialDelay, maximumDelay)
    }

    /// The wait after `attempts` failed attempts (1 = the first attempt failed).
    public func delay(afterAttempts attempts: Int) -> TimeInterval {
        guard attempts > 1 else { return initialDelay }
        let exponent = Double(min(attempts - 1, 60))
        return min(maximumDelay, initialDelay * pow(multiplier, exponent))
    }
}
