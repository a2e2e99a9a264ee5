extension TOMLParser {
    /// ```
    /// basic-string = quotation-mark *basic-char quotation-mark
    /// basic-char = basic-unescaped / escaped
    /// basic-unescaped = wschar / %x21 / %x23-5B / %x5D-7E / non-ascii
    /// ```
    mutating func parseBasicString() throws(TOMLParseError) -> String {
        let start = index
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure(.incomplete, at: start, "this string is not closed with '\"'") }
            switch byte {
            case TOMLByte.quote:
                index += 1
                return String(decoding: text, as: UTF8.self)
            case TOMLByte.backslash:
                try parseEscape(into: &text)
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                throw failure(at: index, "a string in \" cannot span lines (close it, or use \"\"\" for a multi-line string)")
            default:
                try appendCharacter(byte, to: &text)
            }
        }
    }

    /// ```
    /// ml-basic-string = ml-basic-string-delim [ newline ] ml-basic-body ml-basic-string-delim
    /// ml-basic-body = *mlb-content *( mlb-quotes 1*mlb-content ) [ mlb-quotes ]
    /// mlb-content = mlb-char / newline / mlb-escaped-nl
    /// mlb-char = mlb-unescaped / escaped
    /// mlb-quotes = 1*2quotation-mark
    /// mlb-escaped-nl = escape ws newline *( wschar / newline )
    /// ```
    /// Newlines come out as "\n" whether the file has LF or CRLF.
    mutating func parseMultilineBasicString() throws(TOMLParseError) -> String {
        let start = index
        index += 3
        var text: [UInt8] = []
        if peek() == TOMLByte.lineFeed || peek() == TOMLByte.carriageReturn { try skipNewline() }
        while true {
            guard let byte = peek() else { throw failure(.incomplete, at: start, "this multi-line string is not closed with '\"\"\"'") }
            switch byte {
            case TOMLByte.quote:
                if try closeMultiline(quote: TOMLByte.quote, into: &text) {
                    return String(decoding: text, as: UTF8.self)
                }
            case TOMLByte.backslash:
                if let next = peek(1), next == TOMLByte.space || next == TOMLByte.tab || next == TOMLByte.lineFeed || next == TOMLByte.carriageReturn {
                    try skipLineEndingBackslash()
                } else {
                    try parseEscape(into: &text)
                }
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                try skipNewline()
                text.append(TOMLByte.lineFeed)
            default:
                try appendCharacter(byte, to: &text)
            }
        }
    }

    /// `mlb-escaped-nl = escape ws newline *( wschar / newline )`: the backslash, the rest of
    /// its line and the blank space after it vanish.
    mutating func skipLineEndingBackslash() throws(TOMLParseError) {
        let start = index
        index += 1
        skipWhitespace()
        guard peek() == TOMLByte.lineFeed || peek() == TOMLByte.carriageReturn else {
            throw failure(at: start, "a backslash followed by whitespace must end the line")
        }
        while true {
            skipWhitespace()
            guard peek() == TOMLByte.lineFeed || peek() == TOMLByte.carriageReturn else { return }
            try skipNewline()
        }
    }

    /// ```
    /// literal-string = apostrophe *literal-char apostrophe
    /// literal-char = %x09 / %x20-26 / %x28-7E / non-ascii
    /// ```
    mutating func parseLiteralString() throws(TOMLParseError) -> String {
        let start = index
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure(.incomplete, at: start, "this string is not closed with \"'\"") }
            switch byte {
            case TOMLByte.apostrophe:
                index += 1
                return String(decoding: text, as: UTF8.self)
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                throw failure(at: index, "a string in ' cannot span lines (close it, or use ''' for a multi-line string)")
            default:
                try appendCharacter(byte, to: &text)
            }
        }
    }

    /// ```
    /// ml-literal-string = ml-literal-string-delim [ newline ] ml-literal-body ml-literal-string-delim
    /// ml-literal-body = *mll-content *( mll-quotes 1*mll-content ) [ mll-quotes ]
    /// mll-content = mll-char / newline
    /// mll-char = %x09 / %x20-26 / %x28-7E / non-ascii
    /// mll-quotes = 1*2apostrophe
    /// ```
    mutating func parseMultilineLiteralString() throws(TOMLParseError) -> String {
        let start = index
        index += 3
        var text: [UInt8] = []
        if peek() == TOMLByte.lineFeed || peek() == TOMLByte.carriageReturn { try skipNewline() }
        while true {
            guard let byte = peek() else { throw failure(.incomplete, at: start, "this multi-line string is not closed with \"'''\"") }
            switch byte {
            case TOMLByte.apostrophe:
                if try closeMultiline(quote: TOMLByte.apostrophe, into: &text) {
                    return String(decoding: text, as: UTF8.self)
                }
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                try skipNewline()
                text.append(TOMLByte.lineFeed)
            default:
                try appendCharacter(byte, to: &text)
            }
        }
    }

    /// At a run of quotes inside a multi-line string: fewer than three are text; three to five
    /// close the string, the first one or two of them being text (`mlb-quotes` before the
    /// delimiter); six or more cannot be written. True when the string is closed.
    mutating func closeMultiline(quote: UInt8, into text: inout [UInt8]) throws(TOMLParseError) -> Bool {
        var run = 0
        while peek(run) == quote { run += 1 }
        guard run <= 5 else {
            throw failure(at: index + 5, "too many quotes: at most two may stand right before the closing delimiter")
        }
        text.append(contentsOf: repeatElement(quote, count: run < 3 ? run : run - 3))
        index += run
        return run >= 3
    }

    /// One character of string text; the control characters TOML forbids must be escaped.
    mutating func appendCharacter(_ byte: UInt8, to text: inout [UInt8]) throws(TOMLParseError) {
        guard !TOMLByte.isControl(byte) else {
            throw failure(at: index, "control character \(describe(index)) is not allowed in a string; write it as an escape")
        }
        text.append(byte)
        index += 1
    }

    /// ```
    /// escaped = escape escape-seq-char
    /// escape-seq-char =  %x22 / %x5C / %x62 / %x66 / %x6E / %x72 / %x74   ; " \ b f n r t
    /// escape-seq-char =/ %x75 4HEXDIG / %x55 8HEXDIG                     ; uXXXX UXXXXXXXX
    /// ```
    mutating func parseEscape(into text: inout [UInt8]) throws(TOMLParseError) {
        let start = index
        index += 1
        guard let code = peek() else { throw failure(.incomplete, at: start, "the document ends inside an escape sequence") }
        index += 1
        switch code {
        case TOMLByte.quote, TOMLByte.backslash: text.append(code)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "u"): try appendScalar(hexDigits: 4, escapeAt: start, to: &text)
        case UInt8(ascii: "U"): try appendScalar(hexDigits: 8, escapeAt: start, to: &text)
        default:
            throw failure(at: start, "invalid escape sequence: a backslash followed by \(describe(start + 1))")
        }
    }

    /// The hex digits of `\uXXXX` or `\UXXXXXXXX`, which must name a Unicode scalar value:
    /// not a surrogate, not above U+10FFFF.
    mutating func appendScalar(hexDigits count: Int, escapeAt start: Int, to text: inout [UInt8]) throws(TOMLParseError) {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let byte = peek(), let digit = TOMLByte.hexValue(byte) else {
                let form = count == 4 ? "\\u needs 4" : "\\U needs 8"
                if peek() == nil { throw failure(.incomplete, at: start, "\(form) hexadecimal digits") }
                throw failure(at: index, "\(form) hexadecimal digits, found \(describe(index))")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw failure(at: start, "\(String(decoding: bytes[start..<index], as: UTF8.self)) is not a Unicode scalar value")
        }
        UTF8.encode(scalar) { text.append($0) }
    }
}

extension TOMLByte {
    /// `HEXDIG` (ABNF digits and letters, either case), as a number.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
