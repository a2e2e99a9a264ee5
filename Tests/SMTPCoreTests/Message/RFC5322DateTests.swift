import Testing
@testable import SMTPCore

@Suite struct RFC5322DateTests {
    /// Expected strings produced by Python's `email.utils.format_datetime`, an independent
    /// implementation, for epoch seconds and UTC offsets in minutes.
    @Test(arguments: [
        (Int64(0), 0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (951782400, 0, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1709164800, 0, "Thu, 29 Feb 2024 00:00:00 +0000"),
        (0, -300, "Wed, 31 Dec 1969 19:00:00 -0500"),
        (1732897140, 540, "Sat, 30 Nov 2024 01:19:00 +0900"),
        (4102444799, 0, "Thu, 31 Dec 2099 23:59:59 +0000"),
        (-31536000, 60, "Wed, 01 Jan 1969 01:00:00 +0100"),
        (1234567890, -570, "Fri, 13 Feb 2009 14:01:30 -0930"),
        (253402300799, 0, "Fri, 31 Dec 9999 23:59:59 +0000"),
        (-2208988800, 0, "Mon, 01 Jan 1900 00:00:00 +0000"),
        (3476829624, 60, "Tue, 05 Mar 2080 03:00:24 +0100"),
        (3781732494, 0, "Wed, 02 Nov 2089 01:14:54 +0000"),
        (2397089971, 540, "Sun, 17 Dec 2045 11:19:31 +0900"),
        (-1804703343, 540, "Thu, 24 Oct 1912 14:30:57 +0900"),
        (2335081973, 540, "Wed, 30 Dec 2043 18:52:53 +0900"),
        (-1286867124, 0, "Fri, 22 Mar 1929 16:54:36 +0000"),
    ])
    func formats(seconds: Int64, offset: Int, expected: String) {
        #expect(RFC5322Date(secondsSince1970: seconds, utcOffsetMinutes: offset).description == expected)
    }

    @Test func offsetIsClamped() {
        #expect(RFC5322Date(secondsSince1970: 0, utcOffsetMinutes: 100 * 60).description.hasSuffix("+9959"))
    }

    @Test func everyDayOfFourHundredYearsIsConsistent() {
        // Walk day by day across a whole Gregorian cycle: dates must advance by exactly one
        // day, months and years roll over correctly, and weekdays cycle.
        var previous = RFC5322Date.civil(fromDays: -1)
        #expect(previous == (1969, 12, 31))
        let daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for day in Int64(0)..<146_097 {
            let current = RFC5322Date.civil(fromDays: day)
            let leap = (current.year % 4 == 0 && current.year % 100 != 0) || current.year % 400 == 0
            let monthLength = current.month == 2 && leap ? 29 : daysInMonth[current.month - 1]
            #expect(current.day >= 1 && current.day <= monthLength)
            if current.day == 1 {
                let expectedMonth = previous.month == 12 ? 1 : previous.month + 1
                #expect(current.month == expectedMonth)
                #expect(current.year == (current.month == 1 ? previous.year + 1 : previous.year))
            } else {
                #expect(current.day == previous.day + 1 && current.month == previous.month && current.year == previous.year)
            }
            previous = current
        }
        #expect(previous == (2369, 12, 31))
    }

    @Test func nowIsPlausible() {
        let now = RFC5322Date.now()
        #expect(now.secondsSince1970 > 1_700_000_000)
        #expect(now.description.count >= 31)
    }
}
