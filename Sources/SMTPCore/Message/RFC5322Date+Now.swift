#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension RFC5322Date {
    /// The current time in the process's local time zone (the C library's `localtime_r`,
    /// which honours `TZ`). The one place in SMTPCore that reads a clock; everything else
    /// takes times as values so tests stay deterministic.
    public static func now() -> RFC5322Date {
        var seconds = time(nil)
        var parts = tm()
        let offsetSeconds = localtime_r(&seconds, &parts) != nil ? Int(parts.tm_gmtoff) : 0
        return RFC5322Date(secondsSince1970: Int64(seconds), utcOffsetMinutes: offsetSeconds / 60)
    }
}
