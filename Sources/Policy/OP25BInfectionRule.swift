import Foundation

/// When blocked port-25 attempts mean "probably infected": a machine that keeps trying many
/// outside mail servers directly is sending spam or spreading malware, while a
/// misconfigured mail client tries the same one or two servers.
public struct OP25BInfectionRule: Hashable, Sendable {
    /// More attempts than this in the window (`[op25b] infected_threshold`).
    public let attemptThreshold: Int
    /// To more distinct destinations than this (`[op25b] infected_min_destinations`).
    public let destinationThreshold: Int
    /// The window the counts cover.
    public let window: TimeInterval

    public static let defaultAttemptThreshold = 100
    public static let defaultDestinationThreshold = 10
    /// Twenty-four hours.
    public static let defaultWindow: TimeInterval = 86_400

    public init(attemptThreshold: Int = defaultAttemptThreshold,
                destinationThreshold: Int = defaultDestinationThreshold,
                window: TimeInterval = defaultWindow) {
        self.attemptThreshold = attemptThreshold
        self.destinationThreshold = destinationThreshold
        self.window = window
    }

    /// The verdict for one subscriber's counts in the window.
    public func isProbablyInfected(attempts: Int, destinations: Int) -> Bool {
        attempts > attemptThreshold && destinations > destinationThreshold
    }
}
