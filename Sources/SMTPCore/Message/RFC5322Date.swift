/// A date-time formatted as RFC 5322 §3.3 requires for `Date:` and Received headers,
/// e.g. `Sat, 30 Nov 2024 01:19:00 +0900`. Pure arithmetic, no Foundation.
///
/// ```
/// date-time       =   [ day-of-week "," ] date time [CFWS]
/// date            =   day month year
/// time            =   time-of-day zone
/// zone            =   (FWS ( "+" / "-" ) 4DIGIT)
/// ```
public struct RFC5322Date: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64
    /// The local offset from UTC in minutes, e.g. 540 for +0900. Clamped to what the
    /// four-digit zone can express.
    public var utcOffsetMinutes: Int

    /// Creates a date.
    public init(secondsSince1970: Int64, utcOffsetMinutes: Int = 0) {
        self.secondsSince1970 = secondsSince1970
        self.utcOffsetMinutes = max(-(99 * 60 + 59), min(99 * 60 + 59, utcOffsetMinutes))
    }

    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The formatted date.
    public var description: String {
        let local = secondsSince1970 + Int64(utcOffsetMinutes) * 60
        let days = floorDivide(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        // 1970-01-01 was a Thursday (index 4).
        let weekday = Int(((days % 7) + 7 + 4) % 7)
        let hour = secondOfDay / 3600, minute = secondOfDay / 60 % 60, second = secondOfDay % 60
        let sign = utcOffsetMinutes < 0 ? "-" : "+"
        let offset = abs(utcOffsetMinutes)
        return "\(Self.dayNames[weekday]), \(pad(Int64(day), 2)) \(Self.monthNames[month - 1]) \(pad(year, 4)) "
            + "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)) \(sign)\(pad(Int64(offset / 60), 2))\(pad(Int64(offset % 60), 2))"
    }

    /// Year, month (1-12), day (1-31) for a day count since 1970-01-01 in the proleptic
    /// Gregorian calendar. Works in 400-year eras of 146097 days, with years starting
    /// in March so the leap day falls at the end of the year.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468                      // days since 0000-03-01
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097            // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from March 1
        let monthIndex = (5 * dayOfYear + 2) / 153        // 0 = March
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

private func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}
