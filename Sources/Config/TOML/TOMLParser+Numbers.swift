extension TOMLParser {
    /// Integers, floats and date-times all start with a digit, a sign, `inf` or `nan`. A
    /// date-time is told apart by its shape: four digits then `-`, or two digits then `:`.
    mutating func parseNumberOrDateTime() throws(TOMLParseError) -> TOMLValue {
        if digits(at: index, count: 4) && peek(4) == TOMLByte.minus {
            return .dateTime(try parseDateTime())
        }
        if digits(at: index, count: 2) && peek(2) == TOMLByte.colon {
            return .dateTime(TOMLDateTime(time: try parsePartialTime()))
        }
        let start = index
        while let byte = peek(), TOMLByte.isNumber(byte) { index += 1 }
        return try parseNumber(from: start, to: index)
    }

    /// ```
    /// integer = dec-int / hex-int / oct-int / bin-int
    /// dec-int = [ minus / plus ] unsigned-dec-int
    /// unsigned-dec-int = DIGIT / digit1-9 1*( DIGIT / underscore DIGIT )
    /// hex-int = hex-prefix HEXDIG *( HEXDIG / underscore HEXDIG )          ; 0x
    /// oct-int = oct-prefix digit0-7 *( digit0-7 / underscore digit0-7 )    ; 0o
    /// bin-int = bin-prefix digit0-1 *( digit0-1 / underscore digit0-1 )    ; 0b
    ///
    /// float = float-int-part ( exp / frac [ exp ] )
    /// float =/ special-float
    /// float-int-part = dec-int
    /// frac = decimal-point zero-prefixable-int
    /// zero-prefixable-int = DIGIT *( DIGIT / underscore DIGIT )
    /// exp = "e" float-exp-part
    /// float-exp-part = [ minus / plus ] zero-prefixable-int
    /// special-float = [ minus / plus ] ( inf / nan )
    /// ```
    /// Integers must fit in 64 bits and finite floats in a binary64; beyond is an error, not
    /// a rounded value.
    func parseNumber(from start: Int, to end: Int) throws(TOMLParseError) -> TOMLValue {
        var position = start
        var negative = false
        if bytes[position] == TOMLByte.plus || bytes[position] == TOMLByte.minus {
            negative = bytes[position] == TOMLByte.minus
            position += 1
        }
        let unsigned = bytes[position..<end]
        if unsigned.elementsEqual("inf".utf8) { return .float(negative ? -.infinity : .infinity) }
        if unsigned.elementsEqual("nan".utf8) { return .float(negative ? -.nan : .nan) }
        guard let first = unsigned.first, TOMLByte.isDigit(first) else {
            throw failure(at: start, "expected a value, found '\(text(from: start, to: end))'")
        }

        if unsigned.count >= 2 && unsigned.first == UInt8(ascii: "0"), let radix = Self.radix(prefix: bytes[position + 1]) {
            guard position == start else {
                throw failure(at: start, "a hexadecimal, octal or binary integer cannot have a sign")
            }
            position += 2
            let digits = try scanDigits(from: &position, to: end, radix: radix)
            guard position == end else {
                throw failure(at: position, "\(describe(position)) is not a digit of a base-\(radix) integer")
            }
            var value = 0
            for digit in digits {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: radix)
                let (sum, carry) = shifted.addingReportingOverflow(Int(TOMLByte.hexValue(digit)!))
                guard !overflow, !carry else { throw tooLarge(from: start, to: end) }
                value = sum
            }
            return .integer(value)
        }

        let integerStart = position
        let integerDigits = try scanDigits(from: &position, to: end, radix: 10)
        if integerDigits.count > 1 && integerDigits[0] == UInt8(ascii: "0") {
            throw failure(at: integerStart, "a number cannot have leading zeros")
        }
        var isFloat = false
        if position < end && bytes[position] == TOMLByte.dot {
            isFloat = true
            position += 1
            _ = try scanDigits(from: &position, to: end, radix: 10)
        }
        if position < end && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            isFloat = true
            position += 1
            if position < end && (bytes[position] == TOMLByte.plus || bytes[position] == TOMLByte.minus) { position += 1 }
            _ = try scanDigits(from: &position, to: end, radix: 10)
        }
        guard position == end else {
            throw failure(at: position, "\(describe(position)) cannot stand in a number")
        }
        // The text without underscores and without a plus is what Swift's parsers read.
        let plain = String(decoding: bytes[start..<end].filter { $0 != TOMLByte.underscore && $0 != TOMLByte.plus }, as: UTF8.self)
        if isFloat {
            guard let value = Double(plain), value.isFinite else {
                throw failure(at: start, "\(text(from: start, to: end)) is out of range for a 64-bit float")
            }
            return .float(value)
        }
        guard let value = Int(plain) else { throw tooLarge(from: start, to: end) }
        return .integer(value)
    }

    /// `DIGIT *( DIGIT / underscore DIGIT )` in the given radix, from `position` up to `end`:
    /// the digits, without underscores. Stops at the first byte that is neither.
    func scanDigits(from position: inout Int, to end: Int, radix: Int) throws(TOMLParseError) -> [UInt8] {
        let start = position
        var digits: [UInt8] = []
        while position < end {
            let byte = bytes[position]
            if TOMLByte.isDigit(byte, radix: radix) {
                digits.append(byte)
                position += 1
            } else if byte == TOMLByte.underscore {
                guard position > start, position + 1 < end, TOMLByte.isDigit(bytes[position + 1], radix: radix) else {
                    throw failure(at: position, "'_' in a number must stand between two digits")
                }
                position += 1
            } else {
                break
            }
        }
        guard !digits.isEmpty else {
            throw failure(at: start, "expected \(radix == 10 ? "a digit" : "a base-\(radix) digit"), found \(describe(start))")
        }
        return digits
    }

    static func radix(prefix: UInt8) -> Int? {
        switch prefix {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "o"): 8
        case UInt8(ascii: "b"): 2
        default: nil
        }
    }

    func tooLarge(from start: Int, to end: Int) -> TOMLParseError {
        failure(at: start, "\(text(from: start, to: end)) does not fit in a 64-bit integer")
    }

    func text(from start: Int, to end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    func digits(at offset: Int, count: Int) -> Bool {
        offset + count <= bytes.count && bytes[offset..<offset + count].allSatisfy(TOMLByte.isDigit)
    }

    // MARK: - Date-times (RFC 3339 §5.6, as TOML 1.0 narrows it)

    /// ```
    /// offset-date-time = full-date time-delim full-time
    /// local-date-time  = full-date time-delim partial-time
    /// local-date       = full-date
    /// full-date        = date-fullyear "-" date-month "-" date-mday
    /// time-delim       = "T" / %x20        ; T, t, or space
    /// full-time        = partial-time time-offset
    /// time-offset      = "Z" / time-numoffset
    /// time-numoffset   = ( "+" / "-" ) time-hour ":" time-minute
    /// ```
    /// A space is the delimiter only when a time follows it; otherwise the value is a date.
    mutating func parseDateTime() throws(TOMLParseError) -> TOMLDateTime {
        let year = try fixedDigits(4, "the year")
        try expect(TOMLByte.minus, "after the year")
        let monthAt = index
        let month = try fixedDigits(2, "the month")
        guard (1...12).contains(month) else { throw failure(at: monthAt, "invalid date: month \(month) does not exist") }
        try expect(TOMLByte.minus, "after the month")
        let dayAt = index
        let day = try fixedDigits(2, "the day")
        guard (1...Self.days(inMonth: month, year: year)).contains(day) else {
            throw failure(at: dayAt, "invalid date: \(text(from: dayAt - 8, to: dayAt + 2)) does not exist")
        }
        let date = TOMLDateTime.Date(year: year, month: month, day: day)

        switch peek() {
        case UInt8(ascii: "T"), UInt8(ascii: "t"):
            index += 1
        case TOMLByte.space where digits(at: index + 1, count: 2) && peek(3) == TOMLByte.colon:
            index += 1
        default:
            return TOMLDateTime(date: date)
        }
        let time = try parsePartialTime()
        switch peek() {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
            return TOMLDateTime(date: date, time: time, offsetMinutes: 0)
        case TOMLByte.plus, TOMLByte.minus:
            let sign = peek() == TOMLByte.minus ? -1 : 1
            index += 1
            let hourAt = index
            let hours = try fixedDigits(2, "the offset's hours")
            guard hours <= 23 else { throw failure(at: hourAt, "invalid time offset: hour \(hours) does not exist") }
            try expect(TOMLByte.colon, "between the offset's hours and minutes")
            let minuteAt = index
            let minutes = try fixedDigits(2, "the offset's minutes")
            guard minutes <= 59 else { throw failure(at: minuteAt, "invalid time offset: minute \(minutes) does not exist") }
            return TOMLDateTime(date: date, time: time, offsetMinutes: sign * (hours * 60 + minutes))
        default:
            return TOMLDateTime(date: date, time: time)
        }
    }

    /// ```
    /// partial-time = time-hour ":" time-minute ":" time-second [ time-secfrac ]
    /// time-hour    = 2DIGIT  ; 00-23
    /// time-minute  = 2DIGIT  ; 00-59
    /// time-second  = 2DIGIT  ; 00-58, 00-59, 00-60 based on leap second rules
    /// time-secfrac = "." 1*DIGIT
    /// ```
    /// Fractions finer than a nanosecond are truncated.
    mutating func parsePartialTime() throws(TOMLParseError) -> TOMLDateTime.Time {
        let hourAt = index
        let hour = try fixedDigits(2, "the hour")
        guard hour <= 23 else { throw failure(at: hourAt, "invalid time: hour \(hour) does not exist") }
        try expect(TOMLByte.colon, "after the hour")
        let minuteAt = index
        let minute = try fixedDigits(2, "the minutes")
        guard minute <= 59 else { throw failure(at: minuteAt, "invalid time: minute \(minute) does not exist") }
        try expect(TOMLByte.colon, "after the minutes (TOML 1.0 requires seconds)")
        let secondAt = index
        let second = try fixedDigits(2, "the seconds")
        guard second <= 60 else { throw failure(at: secondAt, "invalid time: second \(second) does not exist") }
        var nanosecond = 0
        if peek() == TOMLByte.dot {
            index += 1
            guard let first = peek(), TOMLByte.isDigit(first) else {
                throw failure(at: index, "invalid time: expected a digit after '.', found \(describe(index))")
            }
            var scale = 100_000_000
            while let byte = peek(), TOMLByte.isDigit(byte) {
                nanosecond += Int(byte - 0x30) * scale
                scale /= 10
                index += 1
            }
        }
        return TOMLDateTime.Time(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    }

    /// Exactly `count` decimal digits, as a number.
    mutating func fixedDigits(_ count: Int, _ what: String) throws(TOMLParseError) -> Int {
        var value = 0
        for _ in 0..<count {
            guard let byte = peek(), TOMLByte.isDigit(byte) else {
                throw failure(at: index, "invalid date-time: expected \(count) digits for \(what), found \(describe(index))")
            }
            value = value * 10 + Int(byte - 0x30)
            index += 1
        }
        return value
    }

    mutating func expect(_ byte: UInt8, _ where: String) throws(TOMLParseError) {
        guard peek() == byte else {
            throw failure(at: index, "invalid date-time: expected '\(Character(Unicode.Scalar(byte)))' \(`where`), found \(describe(index))")
        }
        index += 1
    }

    /// `date-mday = 2DIGIT ; 01-28, 01-29, 01-30, 01-31 based on month/year`
    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension TOMLByte {
    static func isDigit(_ byte: UInt8, radix: Int) -> Bool {
        guard let value = hexValue(byte) else { return false }
        return Int(value) < radix
    }

    /// Bytes that can belong to an integer or float token; the token is then checked against
    /// the grammar as a whole.
    static func isNumber(_ byte: UInt8) -> Bool {
        isBareKey(byte) || byte == plus || byte == dot
    }
}
