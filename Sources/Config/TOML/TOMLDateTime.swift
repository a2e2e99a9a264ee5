/// A TOML date-time: one of the four forms of TOML 1.0 §Offset Date-Time … §Local Time.
///
/// ```
/// offset-date-time = full-date time-delim full-time     1979-05-27T07:32:00Z
/// local-date-time  = full-date time-delim partial-time  1979-05-27T07:32:00
/// local-date       = full-date                          1979-05-27
/// local-time       = partial-time                       07:32:00.999
/// ```
/// Ranges are checked by the parser: a value of this type is a real calendar date and clock time.
public struct TOMLDateTime: Hashable, Sendable, CustomStringConvertible {
    public struct Date: Hashable, Sendable {
        public var year: Int
        public var month: Int
        public var day: Int

        public init(year: Int, month: Int, day: Int) {
            self.year = year
            self.month = month
            self.day = day
        }
    }

    public struct Time: Hashable, Sendable {
        public var hour: Int
        public var minute: Int
        /// 0…60: 60 is a leap second (RFC 3339 §5.7).
        public var second: Int
        /// Fractional seconds; digits beyond nanoseconds are truncated, as TOML 1.0 allows.
        public var nanosecond: Int

        public init(hour: Int, minute: Int, second: Int, nanosecond: Int = 0) {
            self.hour = hour
            self.minute = minute
            self.second = second
            self.nanosecond = nanosecond
        }
    }

    public var date: Date?
    public var time: Time?
    /// Minutes east of UTC (`Z` is 0); nil for the local forms.
    public var offsetMinutes: Int?

    public init(date: Date? = nil, time: Time? = nil, offsetMinutes: Int? = nil) {
        self.date = date
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    /// RFC 3339 text: `T` between date and time, `Z` for a zero offset.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = ""
        if let date {
            text += "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))"
        }
        if let time {
            if date != nil { text += "T" }
            text += "\(pad(time.hour, 2)):\(pad(time.minute, 2)):\(pad(time.second, 2))"
            if time.nanosecond != 0 {
                var fraction = pad(time.nanosecond, 9)
                while fraction.hasSuffix("0") { fraction.removeLast() }
                text += "." + fraction
            }
        }
        if let offsetMinutes {
            if offsetMinutes == 0 {
                text += "Z"
            } else {
                let magnitude = abs(offsetMinutes)
                text += (offsetMinutes < 0 ? "-" : "+") + "\(pad(magnitude / 60, 2)):\(pad(magnitude % 60, 2))"
            }
        }
        return text
    }
}
