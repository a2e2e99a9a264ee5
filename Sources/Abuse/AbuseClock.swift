import Foundation

/// Where the abuse controls read the time.
///
/// Windows of an hour or a day cannot be waited out in a test, so the clock is injected:
/// in-process tests pass a closure; a test of the real binary sets the hidden configuration key
/// `[abuse] clock_offset_file`, a file holding a number of seconds that is added to the wall
/// clock at every decision (write `3600` to it and the server lives an hour later). Without that
/// key the server uses the system clock.
public struct AbuseClock: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date

    /// A clock reading `now`.
    public init(_ now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// The system clock.
    public static let system = AbuseClock { Date() }

    /// The system clock moved by the number of seconds written in `path` (0 while the file is
    /// missing or does not hold a number). Read at every call: a test changes it at will.
    public static func offset(file path: String) -> AbuseClock {
        AbuseClock {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return Date().addingTimeInterval(seconds.isFinite ? seconds : 0)
        }
    }
}
