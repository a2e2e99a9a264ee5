/// A strict TOML 1.0 parser (<https://toml.io/en/v1.0.0>, ABNF in toml.abnf) over UTF-8 bytes.
///
/// A configuration file is input an administrator (or an attacker who can write it) controls,
/// so the parser never traps and never recurses without bound: every refusal is a
/// `TOMLParseError` with its line and column, the input size and the nesting depth are limited
/// (`Limits`), and recursion happens only through nested values, each level counted against
/// `Limits.maxDepth`. It does no I/O.
///
/// Everything TOML 1.0 defines is accepted and nothing more: no TOML 1.1 additions (`\e`,
/// `\xHH`, newlines in inline tables, times without seconds). Redefinitions are errors: a key
/// defined twice, a table defined twice by headers, a header defining a table that dotted keys
/// created, dotted keys adding to a table that a header created, anything added to an inline
/// table or to an array written with `[…]`.
public struct TOMLParser {
    public struct Limits: Hashable, Sendable {
        /// Larger documents are refused before parsing.
        public var maxInputBytes: Int
        /// Tables, arrays and inline tables nested deeper than this are refused.
        public var maxDepth: Int

        public init(maxInputBytes: Int = 4 << 20, maxDepth: Int = 64) {
            self.maxInputBytes = maxInputBytes
            self.maxDepth = maxDepth
        }
    }

    /// Parses a whole document into its root table.
    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = Limits()) throws(TOMLParseError) -> TOMLTable {
        guard bytes.count <= limits.maxInputBytes else {
            throw TOMLParseError(kind: .limitExceeded, line: 1, column: 1,
                                 message: "the document is larger than \(limits.maxInputBytes) bytes")
        }
        var parser = TOMLParser(bytes: Array(bytes), limits: limits)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(TOMLParseError) -> TOMLTable {
        try parse(Array(text.utf8), limits: limits)
    }

    let bytes: [UInt8]
    let limits: Limits
    var index = 0

    init(bytes: [UInt8], limits: Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// One part of a key, with where it starts for error messages.
    struct KeyPart {
        var name: String
        var offset: Int
    }

    // MARK: - Document

    /// ```
    /// toml = expression *( newline expression )
    /// expression =  ws [ comment ]
    /// expression =/ ws keyval ws [ comment ]
    /// expression =/ ws table ws [ comment ]
    /// ```
    mutating func parseDocument() throws(TOMLParseError) -> TOMLTable {
        try validateUTF8()
        // TOML 1.0 does not mention a byte order mark; editors on some systems write one, and
        // it can only be meant as one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        let root = TOMLTableBuilder(origin: .header, depth: 0)
        var current = root
        while true {
            skipWhitespace()
            switch peek() {
            case nil:
                return root.build()
            case TOMLByte.hash, TOMLByte.lineFeed, TOMLByte.carriageReturn:
                break
            case TOMLByte.leftBracket:
                current = try parseTableHeader(root: root)
            default:
                try parseKeyValue(into: current)
            }
            try parseLineEnd()
        }
    }

    /// ```
    /// ws [ comment ] ( newline / end of document )
    /// newline = %x0A / %x0D.0A
    /// ```
    mutating func parseLineEnd() throws(TOMLParseError) {
        skipWhitespace()
        if peek() == TOMLByte.hash { try skipComment() }
        switch peek() {
        case nil:
            return
        case TOMLByte.lineFeed, TOMLByte.carriageReturn:
            try skipNewline()
        default:
            throw failure(at: index, "expected the end of the line, found \(describe(index))")
        }
    }

    /// `newline = %x0A / %x0D.0A`, at `index`, which holds a line feed or a carriage return.
    mutating func skipNewline() throws(TOMLParseError) {
        if peek() == TOMLByte.carriageReturn {
            guard peek(1) == TOMLByte.lineFeed else {
                throw failure(at: index, "a carriage return must be followed by a line feed")
            }
            index += 1
        }
        index += 1
    }

    /// `ws = *wschar; wschar = %x20 / %x09`
    mutating func skipWhitespace() {
        while let byte = peek(), byte == TOMLByte.space || byte == TOMLByte.tab { index += 1 }
    }

    /// ```
    /// comment = comment-start-symbol *non-eol
    /// non-eol = %x09 / %x20-7E / non-ascii
    /// ```
    mutating func skipComment() throws(TOMLParseError) {
        index += 1
        while let byte = peek() {
            if byte == TOMLByte.lineFeed || byte == TOMLByte.carriageReturn { return }
            if TOMLByte.isControl(byte) {
                throw failure(at: index, "control character \(describe(index)) is not allowed in a comment")
            }
            index += 1
        }
    }

    /// `ws-comment-newline = *( wschar / [ comment ] newline )`
    mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLParseError) {
        while true {
            skipWhitespace()
            switch peek() {
            case TOMLByte.hash: try skipComment()
            case TOMLByte.lineFeed, TOMLByte.carriageReturn: try skipNewline()
            default: return
            }
        }
    }

    // MARK: - Keys

    /// ```
    /// key = simple-key / dotted-key
    /// dotted-key = simple-key 1*( dot-sep simple-key )
    /// dot-sep = ws %x2E ws
    /// ```
    /// Consumes the whitespace after the key too.
    mutating func parseKey() throws(TOMLParseError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            parts.append(try parseSimpleKey())
            skipWhitespace()
            guard peek() == TOMLByte.dot else { return parts }
            index += 1
            skipWhitespace()
        }
    }

    /// ```
    /// simple-key = quoted-key / unquoted-key
    /// unquoted-key = 1*( ALPHA / DIGIT / %x2D / %x5F )
    /// quoted-key = basic-string / literal-string
    /// ```
    mutating func parseSimpleKey() throws(TOMLParseError) -> KeyPart {
        let start = index
        switch peek() {
        case TOMLByte.quote:
            guard !startsTripleQuote(TOMLByte.quote) else { throw failure(at: start, "a key cannot be a multi-line string") }
            return KeyPart(name: try parseBasicString(), offset: start)
        case TOMLByte.apostrophe:
            guard !startsTripleQuote(TOMLByte.apostrophe) else { throw failure(at: start, "a key cannot be a multi-line string") }
            return KeyPart(name: try parseLiteralString(), offset: start)
        case let byte? where TOMLByte.isBareKey(byte):
            while let byte = peek(), TOMLByte.isBareKey(byte) { index += 1 }
            return KeyPart(name: String(decoding: bytes[start..<index], as: UTF8.self), offset: start)
        case nil:
            throw failure(.incomplete, at: start, "expected a key, found the end of the document")
        default:
            throw failure(at: start, "expected a key, found \(describe(start))")
        }
    }

    // MARK: - Tables

    /// ```
    /// table = std-table / array-table
    /// std-table = std-table-open key std-table-close        ; "[" ws key ws "]"
    /// array-table = array-table-open key array-table-close  ; "[[" ws key ws "]]"
    /// ```
    /// Returns the table that the following key/value pairs go into.
    mutating func parseTableHeader(root: TOMLTableBuilder) throws(TOMLParseError) -> TOMLTableBuilder {
        index += 1
        let isArray = peek() == TOMLByte.leftBracket
        if isArray { index += 1 }
        skipWhitespace()
        let key = try parseKey()
        guard peek() == TOMLByte.rightBracket, !isArray || peek(1) == TOMLByte.rightBracket else {
            let close = isArray ? "']]'" : "']'"
            let end = isArray && peek() == TOMLByte.rightBracket ? index + 1 : index
            if end >= bytes.count {
                throw failure(.incomplete, at: end, "expected \(close) to close the table header, found the end of the document")
            }
            if end > index { throw failure(at: index, "an array-of-tables header must end with ']]'") }
            throw failure(at: index, "expected '.' or \(close) in the table header, found \(describe(index))")
        }
        index += isArray ? 2 : 1
        return isArray ? try appendArrayTable(key, root: root) : try defineTable(key, root: root)
    }

    /// `[a.b.c]`: walks to `a.b`, creating what is missing, then defines `c`.
    func defineTable(_ key: [KeyPart], root: TOMLTableBuilder) throws(TOMLParseError) -> TOMLTableBuilder {
        let parent = try headerParent(key, root: root)
        let last = key[key.count - 1]
        let name = render(key)
        switch parent[last.name] {
        case nil:
            return try addTable(last, to: parent, origin: .header)
        case .table(let table):
            switch table.origin {
            case .implicit:
                table.origin = .header
                return table
            case .header:
                throw failure(at: last.offset, "table [\(name)] is defined twice")
            case .dotted:
                throw failure(at: last.offset, "table \(name) is already defined by dotted keys; [\(name)] cannot define it again")
            }
        case .arrayOfTables:
            throw failure(at: last.offset, "\(name) is already an array of tables ([[\(name)]]), not a table")
        case .value(let value):
            throw failure(at: last.offset, conflict(name, value))
        }
    }

    /// `[[a.b.c]]`: walks to `a.b`, creating what is missing, then appends a table to `c`.
    func appendArrayTable(_ key: [KeyPart], root: TOMLTableBuilder) throws(TOMLParseError) -> TOMLTableBuilder {
        let parent = try headerParent(key, root: root)
        let last = key[key.count - 1]
        let name = render(key)
        switch parent[last.name] {
        case nil:
            let element = try newElement(at: last, in: parent)
            parent.insert(last.name, .arrayOfTables(TOMLTableBuilder.ArrayOfTables(element)))
            return element
        case .arrayOfTables(let array):
            let element = try newElement(at: last, in: parent)
            array.tables.append(element)
            return element
        case .table:
            throw failure(at: last.offset, "\(name) is already a table, not an array of tables")
        case .value(.array):
            throw failure(at: last.offset, "\(name) is an array written as a value, which [[\(name)]] cannot append to")
        case .value(let value):
            throw failure(at: last.offset, conflict(name, value))
        }
    }

    /// The table that holds a header's last key part. A header may pass through any table it
    /// did not close (the last element of an array of tables stands for the array), but not
    /// through a value.
    func headerParent(_ key: [KeyPart], root: TOMLTableBuilder) throws(TOMLParseError) -> TOMLTableBuilder {
        var table = root
        for (position, part) in key.dropLast().enumerated() {
            switch table[part.name] {
            case nil:
                table = try addTable(part, to: table, origin: .implicit)
            case .table(let child):
                table = child
            case .arrayOfTables(let array):
                table = array.tables[array.tables.count - 1]
            case .value(let value):
                throw failure(at: part.offset, conflict(render(key.prefix(position + 1)), value))
            }
        }
        return table
    }

    func addTable(_ part: KeyPart, to parent: TOMLTableBuilder, origin: TOMLTableBuilder.Origin) throws(TOMLParseError) -> TOMLTableBuilder {
        let table = TOMLTableBuilder(origin: origin, depth: parent.depth + 1)
        guard table.depth <= limits.maxDepth else { throw tooDeep(at: part.offset) }
        parent.insert(part.name, .table(table))
        return table
    }

    /// An element of an array of tables: two levels below its parent (the array, the table).
    func newElement(at part: KeyPart, in parent: TOMLTableBuilder) throws(TOMLParseError) -> TOMLTableBuilder {
        let element = TOMLTableBuilder(origin: .header, depth: parent.depth + 2)
        guard element.depth <= limits.maxDepth else { throw tooDeep(at: part.offset) }
        return element
    }

    // MARK: - Key/value pairs

    /// ```
    /// keyval = key keyval-sep val
    /// keyval-sep = ws %x3D ws
    /// ```
    /// A dotted key creates the tables it names, or adds to tables that dotted keys created;
    /// it cannot add to a table a header created, nor to an inline table.
    mutating func parseKeyValue(into table: TOMLTableBuilder) throws(TOMLParseError) {
        let key = try parseKey()
        guard peek() == TOMLByte.equals else {
            if peek() == nil { throw failure(.incomplete, at: index, "expected '=' after the key, found the end of the document") }
            throw failure(at: index, "expected '=' after the key, found \(describe(index))")
        }
        index += 1
        skipWhitespace()
        var target = table
        for (position, part) in key.dropLast().enumerated() {
            switch target[part.name] {
            case nil:
                target = try addTable(part, to: target, origin: .dotted)
            case .table(let child) where child.origin == .dotted:
                target = child
            case .table:
                throw failure(at: part.offset, "table \(render(key.prefix(position + 1))) is defined by a table header; dotted keys cannot add to it")
            case .arrayOfTables:
                throw failure(at: part.offset, "\(render(key.prefix(position + 1))) is an array of tables; dotted keys cannot add to it")
            case .value(let value):
                throw failure(at: part.offset, conflict(render(key.prefix(position + 1)), value))
            }
        }
        let last = key[key.count - 1]
        guard target[last.name] == nil else { throw failure(at: last.offset, "key \(render(key)) is defined twice") }
        let value = try parseValue(depth: target.depth + 1)
        target.insert(last.name, .value(value))
    }

    // MARK: - Values

    /// `val = string / boolean / array / inline-table / date-time / float / integer`
    mutating func parseValue(depth: Int) throws(TOMLParseError) -> TOMLValue {
        guard depth <= limits.maxDepth else { throw tooDeep(at: index) }
        switch peek() {
        case nil:
            throw failure(.incomplete, at: index, "expected a value, found the end of the document")
        case TOMLByte.quote:
            return .string(startsTripleQuote(TOMLByte.quote) ? try parseMultilineBasicString() : try parseBasicString())
        case TOMLByte.apostrophe:
            return .string(startsTripleQuote(TOMLByte.apostrophe) ? try parseMultilineLiteralString() : try parseLiteralString())
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .boolean(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .boolean(false)
        case TOMLByte.leftBracket:
            return try parseArray(depth: depth)
        case TOMLByte.leftBrace:
            return try parseInlineTable(depth: depth)
        case let byte? where TOMLByte.isDigit(byte) || byte == TOMLByte.plus || byte == TOMLByte.minus
            || byte == UInt8(ascii: "i") || byte == UInt8(ascii: "n"):
            return try parseNumberOrDateTime()
        default:
            throw failure(at: index, "expected a value, found \(describe(index))")
        }
    }

    /// `boolean = true / false`
    mutating func expectWord(_ word: String) throws(TOMLParseError) {
        let expected = word.utf8
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw failure(at: index, "expected a value, found \(describe(index))")
        }
        index += expected.count
    }

    /// ```
    /// array = array-open [ array-values ] ws-comment-newline array-close
    /// array-values =  ws-comment-newline val ws-comment-newline array-sep array-values
    /// array-values =/ ws-comment-newline val ws-comment-newline [ array-sep ]
    /// ```
    mutating func parseArray(depth: Int) throws(TOMLParseError) -> TOMLValue {
        let start = index
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case TOMLByte.rightBracket:
                index += 1
                return .array(elements)
            case nil:
                throw failure(.incomplete, at: start, "this array is not closed with ']'")
            default:
                break
            }
            elements.append(try parseValue(depth: depth + 1))
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case TOMLByte.comma:
                index += 1
            case TOMLByte.rightBracket:
                index += 1
                return .array(elements)
            case nil:
                throw failure(.incomplete, at: start, "this array is not closed with ']'")
            default:
                throw failure(at: index, "expected ',' or ']' in the array, found \(describe(index))")
            }
        }
    }

    /// ```
    /// inline-table = inline-table-open [ inline-table-keyvals ] inline-table-close
    /// inline-table-open  = %x7B ws     ; {
    /// inline-table-close = ws %x7D     ; }
    /// inline-table-keyvals = keyval [ inline-table-sep inline-table-keyvals ]
    /// inline-table-sep   = ws %x2C ws  ; ,
    /// ```
    /// One line (values inside, such as arrays, may still span lines), no trailing comma;
    /// closed to additions once written.
    mutating func parseInlineTable(depth: Int) throws(TOMLParseError) -> TOMLValue {
        let start = index
        index += 1
        let table = TOMLTableBuilder(origin: .header, depth: depth)
        skipWhitespace()
        if peek() == TOMLByte.rightBrace {
            index += 1
            return .table(table.build())
        }
        while true {
            switch peek() {
            case nil:
                throw failure(.incomplete, at: start, "this inline table is not closed with '}'")
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                throw failure(at: index, "an inline table must be on one line")
            case TOMLByte.rightBrace:
                throw failure(at: index, "a trailing comma is not allowed in an inline table")
            default:
                break
            }
            try parseKeyValue(into: table)
            skipWhitespace()
            switch peek() {
            case TOMLByte.comma:
                index += 1
                skipWhitespace()
            case TOMLByte.rightBrace:
                index += 1
                return .table(table.build())
            case nil:
                throw failure(.incomplete, at: start, "this inline table is not closed with '}'")
            case TOMLByte.lineFeed, TOMLByte.carriageReturn:
                throw failure(at: index, "an inline table must be on one line")
            default:
                throw failure(at: index, "expected ',' or '}' in the inline table, found \(describe(index))")
            }
        }
    }

    // MARK: - Bytes and errors

    func peek(_ ahead: Int = 0) -> UInt8? {
        index + ahead < bytes.count ? bytes[index + ahead] : nil
    }

    func startsTripleQuote(_ quote: UInt8) -> Bool {
        peek() == quote && peek(1) == quote && peek(2) == quote
    }

    /// UTF-8 as RFC 3629 §4 defines it: no overlong forms, no surrogates, nothing above
    /// U+10FFFF. Checked once up front, so that the rest may take any non-ASCII byte run as
    /// one valid scalar.
    func validateUTF8() throws(TOMLParseError) {
        var offset = 0
        while offset < bytes.count {
            let lead = bytes[offset]
            if lead < 0x80 {
                offset += 1
                continue
            }
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: throw failure(at: offset, "invalid UTF-8 (byte 0x\(hex(lead, width: 2)))")
            }
            guard offset + length <= bytes.count, second.contains(bytes[offset + 1]),
                  bytes[offset + 2..<offset + length].allSatisfy({ $0 & 0xC0 == 0x80 })
            else {
                throw failure(at: offset, "invalid UTF-8 (byte 0x\(hex(lead, width: 2)) does not start a valid sequence)")
            }
            offset += length
        }
    }

    func failure(_ kind: TOMLParseError.Kind = .invalid, at offset: Int, _ message: String) -> TOMLParseError {
        let end = min(offset, bytes.count)
        var line = 1
        var lineStart = 0
        for position in 0..<end where bytes[position] == TOMLByte.lineFeed {
            line += 1
            lineStart = position + 1
        }
        // Columns count scalars: every byte but UTF-8 continuation bytes starts one.
        let column = 1 + bytes[lineStart..<end].count(where: { $0 & 0xC0 != 0x80 })
        return TOMLParseError(kind: kind, line: line, column: column, message: message)
    }

    func tooDeep(at offset: Int) -> TOMLParseError {
        failure(.limitExceeded, at: offset, "tables and arrays nest deeper than \(limits.maxDepth) levels")
    }

    /// What a key already holds, when something tries to use it as a table.
    func conflict(_ name: String, _ value: TOMLValue) -> String {
        switch value {
        case .table: "\(name) is an inline table, which cannot be extended"
        case .array: "\(name) is already defined as an array"
        case .integer: "\(name) is already defined as an integer"
        default: "\(name) is already defined as a \(value.typeName)"
        }
    }

    /// The character at `offset` for an error message: `'='`, `a newline`, `U+0007`.
    func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the document" }
        let byte = bytes[offset]
        switch byte {
        case TOMLByte.lineFeed: return "a newline"
        case TOMLByte.carriageReturn: return "a carriage return"
        case TOMLByte.space: return "a space"
        case TOMLByte.tab: return "a tab"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x00..<0x80: return "U+\(hex(UInt32(byte), width: 4))"
        default:
            var iterator = bytes[offset...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) { return "U+\(hex(scalar.value, width: 4))" }
            return "byte 0x\(hex(byte, width: 2))"
        }
    }

    func hex(_ value: some BinaryInteger, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A key as it could be written: bare when it can be, else a quoted basic string.
    func render(_ key: some Collection<KeyPart>) -> String {
        key.map { part in
            if !part.name.isEmpty && part.name.utf8.allSatisfy(TOMLByte.isBareKey) { return part.name }
            var quoted = "\""
            for scalar in part.name.unicodeScalars {
                switch scalar {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: quoted += "\\u\(hex(scalar.value, width: 4))"
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        }.joined(separator: ".")
    }
}

/// The ASCII bytes the grammar names.
enum TOMLByte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let apostrophe = UInt8(ascii: "'")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let colon = UInt8(ascii: ":")
    static let equals = UInt8(ascii: "=")
    static let leftBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let rightBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let leftBrace = UInt8(ascii: "{")
    static let rightBrace = UInt8(ascii: "}")

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// `ALPHA / DIGIT / %x2D / %x5F`
    static func isBareKey(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, minus, underscore: true
        default: false
        }
    }

    /// Control characters TOML 1.0 forbids in strings and comments: all but tab.
    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == 0x7F
    }
}
