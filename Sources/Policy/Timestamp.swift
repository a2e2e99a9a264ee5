import Foundation

/// The one date format of rendered rules and explanations: ISO 8601 in UTC,
/// seconds precision, e.g. `2026-03-31T23:59:59Z`. Fixed so output is
/// deterministic and independent of the host's locale and time zone.
enum Timestamp {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
