import NIOCore

/// The messages the load sends, as Benchmarks/portbench/submission.py `make_message()` builds
/// them: the headers a submission server checks (From: is the sender, which the account must
/// own), then 76-character lines of `x` up to about `size` octets in all, then the end-of-data
/// marker. No line starts with a dot, so no dot-stuffing (RFC 5321 §4.5.2) is needed.
public struct MessageTemplate: Sendable {
    public let sender: String
    public let recipient: String
    public let size: Int
    public static let bodyLine = String(repeating: "x", count: 76) + "\r\n"

    public init(sender: String, recipient: String, size: Int) {
        self.sender = sender
        self.recipient = recipient
        self.size = size
    }

    /// Appends message number `index` and the final `.` line (RFC 5321 §4.1.1.4) to `buffer`.
    /// `date` is an RFC 5322 §3.3 date-time; `messageID` the id-left of the Message-ID.
    public func write(index: Int, date: String, messageID: String, into buffer: inout ByteBuffer) {
        let header = "From: <\(sender)>\r\nTo: <\(recipient)>\r\nSubject: load \(index)\r\n"
            + "Date: \(date)\r\nMessage-ID: <\(messageID)@loadgen.alato.example>\r\n\r\n"
        let headerBytes = header.utf8.count
        let lineBytes = Self.bodyLine.utf8.count
        let lines = max(1, (size - headerBytes) / lineBytes)
        buffer.reserveCapacity(minimumWritableBytes: headerBytes + lines * lineBytes + 3)
        buffer.writeString(header)
        for _ in 0..<lines { buffer.writeString(Self.bodyLine) }
        buffer.writeString(".\r\n")
    }
}

/// RFC 5322 §3.3 date-time in UTC, the form `time.strftime('%a, %d %b %Y %H:%M:%S +0000')`
/// gives in the C locale: "Mon, 30 Nov 2026 02:51:20 +0000".
public func rfc5322Date(secondsSinceEpoch: Int) -> String {
    let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400
    let secondOfDay = secondsSinceEpoch - days * 86_400
    // Civil date from a day count (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let weekday = weekdays[((days % 7) + 11) % 7]   // 1970-01-01 was a Thursday
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(weekday), \(two(day)) \(months[month - 1]) \(year) "
        + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
}
