import Config
import Foundation
import Testing

/// The TOML 1.0 parser behind `portcullis.toml`: one valid document per feature of the
/// specification, invalid documents with the line, column and reason of their error, the
/// limits, and documents cut short at every byte.
@Suite struct TOMLParserTests {
    // MARK: - Valid documents

    static let valid: [(String, String, TOMLTable)] = [
        ("empty document", "", [:]),
        ("blank lines, tabs, CRLF", " \t\r\n\n\t", [:]),
        ("comments", "# full line\na = 1 # after a value\n#no space\n# ünïcödé and \t tab\n", ["a": 1]),
        ("bare keys", "bare_key = 1\nbare-key = 2\n1234 = 3\n-_- = 4", ["bare_key": 1, "bare-key": 2, "1234": 3, "-_-": 4]),
        ("quoted keys", "\"127.0.0.1\" = 1\n\"character encoding\" = 2\n\"ʎǝʞ\" = 3\n'key2' = 4\n'quoted \"value\"' = 5\n\"\" = 6\n\"\\u0041\" = 7",
         ["127.0.0.1": 1, "character encoding": 2, "ʎǝʞ": 3, "key2": 4, "quoted \"value\"": 5, "": 6, "A": 7]),
        ("dotted keys", "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true",
         ["name": "Orange", "physical": ["color": "orange", "shape": "round"], "site": ["google.com": true]]),
        ("whitespace around dots", "fruit . flavor\t.  name = \"banana\"", ["fruit": ["flavor": ["name": "banana"]]]),
        ("a number as a dotted key", "3.14159 = \"pi\"", ["3": ["14159": "pi"]]),
        ("keys in document order", "z = 1\na = 2\nm = 3", TOMLTable([("z", 1), ("a", 2), ("m", 3)])),
        ("basic string escapes", #"s = "\b\t\n\f\r\"\\\u00E9\U0001F600 tab:"# + "\t\"", ["s": "\u{8}\t\n\u{C}\r\"\\é😀 tab:\t"]),
        ("non-ASCII text", "s = \"Grüße, 日本\"", ["s": "Grüße, 日本"]),
        ("literal strings", #"a = 'C:\Users\nodejs\templates'"# + "\n" + #"b = '<\i\c*\s*>'"#,
         ["a": #"C:\Users\nodejs\templates"#, "b": #"<\i\c*\s*>"#]),
        ("multi-line basic string, first newline trimmed", "s = \"\"\"\nRoses are red\nViolets are blue\"\"\"", ["s": "Roses are red\nViolets are blue"]),
        ("multi-line basic string, line-ending backslash", "s = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\  \n    the lazy dog.\"\"\"",
         ["s": "The quick brown fox jumps over the lazy dog."]),
        ("multi-line basic string, quotes inside and before the end", "a = \"\"\"Two quotes: \"\". Simple.\"\"\"\nb = \"\"\"x\"\"\"\"\"\nc = \"\"\"\"\"\"",
         ["a": "Two quotes: \"\". Simple.", "b": "x\"\"", "c": ""]),
        ("multi-line basic string, escapes", "s = \"\"\"tab\\t \\\"\"\"\\\" \\u00E9\"\"\"", ["s": "tab\t \"\"\"\" é"]),
        ("multi-line literal string", "a = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''\nb = ''''That,' she said, 'is still pointless.''''\nc = '''\\n'''",
         ["a": "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n", "b": "'That,' she said, 'is still pointless.'", "c": "\\n"]),
        ("CRLF line ends, newlines in strings become LF", "a = 1\r\nb = \"\"\"x\r\ny\"\"\"\r\nc = '''\r\nz'''\r\n", ["a": 1, "b": "x\ny", "c": "z"]),
        ("decimal integers", "a = +99\nb = 42\nc = 0\nd = -17\ne = 1_000\nf = 5_349_221\ng = 1_2_3_4_5\nh = -0\ni = +0",
         ["a": 99, "b": 42, "c": 0, "d": -17, "e": 1000, "f": 5_349_221, "g": 12345, "h": 0, "i": 0]),
        ("integer bounds", "max = 9223372036854775807\nmin = -9223372036854775808\nhex = 0x7FFFFFFFFFFFFFFF",
         ["max": .integer(Int.max), "min": .integer(Int.min), "hex": .integer(Int.max)]),
        ("hexadecimal, octal, binary integers", "a = 0xDEADBEEF\nb = 0xdeadbeef\nc = 0xdead_beef\nd = 0o01234567\ne = 0o755\nf = 0b11010110\ng = 0x00\nh = 0b0",
         ["a": 0xDEADBEEF, "b": 0xDEADBEEF, "c": 0xDEADBEEF, "d": 0o1234567, "e": 0o755, "f": 0b11010110, "g": 0, "h": 0]),
        ("floats", "a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\ng = 6.626e-34\nh = 224_617.445_991_228\ni = 0.0\nj = -0.0\nk = 1e1_0",
         ["a": 1.0, "b": 3.1415, "c": -0.01, "d": 5e22, "e": 1e6, "f": -0.02, "g": 6.626e-34, "h": 224_617.445_991_228, "i": 0.0, "j": -0.0, "k": 1e10]),
        ("infinities", "a = inf\nb = +inf\nc = -inf", ["a": .float(.infinity), "b": .float(.infinity), "c": .float(-.infinity)]),
        ("booleans", "a = true\nb = false", ["a": true, "b": false]),
        ("offset date-times", "a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00-07:00\nc = 1979-05-27T00:32:00.999999+05:30\nd = 1979-05-27 07:32:00Z\ne = 1979-05-27t07:32:00z",
         ["a": dateTime(1979, 5, 27, 7, 32, 0, offset: 0), "b": dateTime(1979, 5, 27, 0, 32, 0, offset: -420),
          "c": dateTime(1979, 5, 27, 0, 32, 0, nanosecond: 999_999_000, offset: 330), "d": dateTime(1979, 5, 27, 7, 32, 0, offset: 0),
          "e": dateTime(1979, 5, 27, 7, 32, 0, offset: 0)]),
        ("local date-times", "a = 1979-05-27T07:32:00\nb = 1979-05-27T00:32:00.123456789123", [
            "a": dateTime(1979, 5, 27, 7, 32, 0), "b": dateTime(1979, 5, 27, 0, 32, 0, nanosecond: 123_456_789)]),
        ("local dates, leap days", "a = 1979-05-27\nb = 2000-02-29\nc = 2024-02-29 # comment", [
            "a": .dateTime(TOMLDateTime(date: .init(year: 1979, month: 5, day: 27))),
            "b": .dateTime(TOMLDateTime(date: .init(year: 2000, month: 2, day: 29))),
            "c": .dateTime(TOMLDateTime(date: .init(year: 2024, month: 2, day: 29)))]),
        ("local times, leap second", "a = 07:32:00\nb = 00:32:00.5\nc = 23:59:60", [
            "a": .dateTime(TOMLDateTime(time: .init(hour: 7, minute: 32, second: 0))),
            "b": .dateTime(TOMLDateTime(time: .init(hour: 0, minute: 32, second: 0, nanosecond: 500_000_000))),
            "c": .dateTime(TOMLDateTime(time: .init(hour: 23, minute: 59, second: 60)))]),
        ("arrays", "a = [ 1, 2, 3 ]\nb = [ \"red\", 'yellow', \"\"\"green\"\"\" ]\nc = [ [ 1, 2 ], [3, 4, 5] ]\nd = []\ne = [ 0.1, 1, \"x\", { x = 1 }, [], 1979-05-27 ]",
         ["a": [1, 2, 3], "b": ["red", "yellow", "green"], "c": [[1, 2], [3, 4, 5]], "d": [],
          "e": [0.1, 1, "x", ["x": 1], [], .dateTime(TOMLDateTime(date: .init(year: 1979, month: 5, day: 27)))]]),
        ("multi-line arrays with comments and a trailing comma", "a = [\n  1, # one\n  2\n  # nothing\n  ,3,\n\n]\nb = [ # open\n]\nc = [\r\n1,\r\n]",
         ["a": [1, 2, 3], "b": [], "c": [1]]),
        ("inline tables", "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = {x=1,y=2}\nanimal = { type.name = \"pug\", type.size = 1 }\nempty = {}\nnested = { a = { b = [ { c = 1 } ] } }",
         ["name": ["first": "Tom", "last": "Preston-Werner"], "point": ["x": 1, "y": 2], "animal": ["type": ["name": "pug", "size": 1]],
          "empty": [:], "nested": ["a": ["b": [["c": 1]]]]]),
        ("inline table holding a multi-line array", "a = { b = [\n1,\n2] }", ["a": ["b": [1, 2]]]),
        ("tables", "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\n[dog.\"tater.man\"]\ntype.name = \"pug\"\n[ j . \"ʞ\" . 'l' ]\n[empty]",
         ["table-1": ["key1": "some string", "key2": 123], "table-2": ["key1": "another string"],
          "dog": ["tater.man": ["type": ["name": "pug"]]], "j": ["ʞ": ["l": [:]]], "empty": [:]]),
        ("a super-table defined after its sub-table", "[x.y.z.w]\na = 1\n[x]\nb = 2", ["x": ["y": ["z": ["w": ["a": 1]]], "b": 2]]),
        ("sub-tables of a table made by dotted keys", "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true",
         ["fruit": ["apple": ["color": "red", "taste": ["sweet": true], "texture": ["smooth": true]]]]),
        ("root keys before the first header", "a.b = 1\n[a.c]\nd = 2", ["a": ["b": 1, "c": ["d": 2]]]),
        ("arrays of tables", "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty\n\n[[products]]\nname = \"Nail\"\ncolor = \"gray\"",
         ["products": [["name": "Hammer", "sku": 738_594_937], [:], ["name": "Nail", "color": "gray"]]]),
        ("nested arrays of tables and their sub-tables", """
            [[fruits]]
            name = "apple"
            [fruits.physical]
            color = "red"
            [[fruits.varieties]]
            name = "red delicious"
            [[fruits.varieties]]
            name = "granny smith"
            [[fruits]]
            name = "banana"
            [[fruits.varieties]]
            name = "plantain"
            """,
         ["fruits": [
            ["name": "apple", "physical": ["color": "red"], "varieties": [["name": "red delicious"], ["name": "granny smith"]]],
            ["name": "banana", "varieties": [["name": "plantain"]]]]]),
        ("a byte order mark", "\u{FEFF}a = 1", ["a": 1]),
    ]

    @Test(arguments: valid)
    func validDocument(feature: String, document: String, expected: TOMLTable) throws {
        let table = try TOMLParser.parse(document)
        #expect(table == expected, "\(feature)")
        #expect(table.keys == expected.keys, "\(feature): key order")
    }

    @Test func notANumber() throws {
        let table = try TOMLParser.parse("a = nan\nb = +nan\nc = -nan\nd = [nan]")
        for key in ["a", "b", "c"] { #expect(table[key]?.float?.isNaN == true) }
        #expect(table["d"]?.array?.first?.float?.isNaN == true)
    }

    @Test func dateTimesPrintAsRFC3339() throws {
        let table = try TOMLParser.parse("a = 1979-05-27 00:32:00.5-07:00\nb = 1979-05-27\nc = 07:32:00\nd = 1979-05-27t07:32:00z")
        #expect(table["a"]?.dateTime?.description == "1979-05-27T00:32:00.5-07:00")
        #expect(table["b"]?.dateTime?.description == "1979-05-27")
        #expect(table["c"]?.dateTime?.description == "07:32:00")
        #expect(table["d"]?.dateTime?.description == "1979-05-27T07:32:00Z")
    }

    // MARK: - Invalid documents

    static let invalid: [(String, Int, Int, String)] = [
        // Redefinitions.
        ("a = 1\na = 2", 2, 1, "key a is defined twice"),
        ("\"a\" = 1\na = 2", 2, 1, "key a is defined twice"),
        ("a = {b.c = 1, b = 2}", 1, 15, "key b is defined twice"),
        ("[a]\n[a]", 2, 2, "table [a] is defined twice"),
        ("[a]\nb = 1\n[a]\nc = 2", 3, 2, "table [a] is defined twice"),
        ("[a]\nb = 1\n[a.b]", 3, 4, "a.b is already defined as an integer"),
        ("a = 1\n[a]", 2, 2, "a is already defined as an integer"),
        ("a.b = 1\na.b.c = 2", 2, 3, "a.b is already defined as an integer"),
        ("[fruit]\napple.color = \"red\"\n[fruit.apple]", 3, 8, "table fruit.apple is already defined by dotted keys"),
        ("a.b = 1\n[a]", 2, 2, "table a is already defined by dotted keys"),
        ("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, 1, "table b is defined by a table header; dotted keys cannot add to it"),
        ("[a.b]\n[a]\nb.c = 1", 3, 1, "table b is defined by a table header; dotted keys cannot add to it"),
        ("a = {b = 1}\na.c = 2", 2, 1, "a is an inline table, which cannot be extended"),
        ("a = {b = 1}\n[a.c]", 2, 2, "a is an inline table, which cannot be extended"),
        ("a = {}\n[a]", 2, 2, "a is an inline table, which cannot be extended"),
        ("a = {b = {c = 1}, b.d = 2}", 1, 19, "b is an inline table, which cannot be extended"),
        ("a = [1]\n[[a]]", 2, 3, "a is an array written as a value, which [[a]] cannot append to"),
        ("a = []\n[a.b]", 2, 2, "a is already defined as an array"),
        ("[[a]]\n[a]", 2, 2, "a is already an array of tables ([[a]]), not a table"),
        ("[a]\n[[a]]", 2, 3, "a is already a table, not an array of tables"),
        ("[[a.b]]\n[a]\nb.c = 1", 3, 1, "b is an array of tables; dotted keys cannot add to it"),
        // Escapes.
        (#"s = "\x41""#, 1, 6, "invalid escape sequence: a backslash followed by 'x'"),
        (#"s = "\e""#, 1, 6, "invalid escape sequence: a backslash followed by 'e'"),
        (#"s = "\ ""#, 1, 6, "invalid escape sequence: a backslash followed by a space"),
        (#"s = "\uD800""#, 1, 6, #"\uD800 is not a Unicode scalar value"#),
        (#"s = "\uDFFF""#, 1, 6, #"\uDFFF is not a Unicode scalar value"#),
        (#"s = "\U00110000""#, 1, 6, #"\U00110000 is not a Unicode scalar value"#),
        (#"s = "\u12""#, 1, 10, #"\u needs 4 hexadecimal digits, found '"'"#),
        (#"s = "\U0001F6""#, 1, 14, #"\U needs 8 hexadecimal digits, found '"'"#),
        (#"s = """\ x""""#, 1, 8, "a backslash followed by whitespace must end the line"),
        ("s = 'ok'\nt = \"\\q\"", 2, 6, "invalid escape sequence: a backslash followed by 'q'"),
        // Numbers.
        ("a = 01", 1, 5, "a number cannot have leading zeros"),
        ("a = 03.14", 1, 5, "a number cannot have leading zeros"),
        ("a = -01", 1, 6, "a number cannot have leading zeros"),
        ("a = 1__0", 1, 6, "'_' in a number must stand between two digits"),
        ("a = 1_", 1, 6, "'_' in a number must stand between two digits"),
        ("a = 1_.5", 1, 6, "'_' in a number must stand between two digits"),
        ("a = 1e_5", 1, 7, "'_' in a number must stand between two digits"),
        ("a = _1", 1, 5, "expected a value, found '_'"),
        ("a = 0x", 1, 7, "expected a base-16 digit, found the end of the document"),
        ("a = 0o8", 1, 7, "expected a base-8 digit, found '8'"),
        ("a = 0b102", 1, 9, "'2' is not a digit of a base-2 integer"),
        ("a = +0x1", 1, 5, "a hexadecimal, octal or binary integer cannot have a sign"),
        ("a = 0X1", 1, 6, "'X' cannot stand in a number"),
        ("a = 9223372036854775808", 1, 5, "9223372036854775808 does not fit in a 64-bit integer"),
        ("a = -9223372036854775809", 1, 5, "-9223372036854775809 does not fit in a 64-bit integer"),
        ("a = 0x8000000000000000", 1, 5, "0x8000000000000000 does not fit in a 64-bit integer"),
        ("a = 0b1_0000000000000000000000000000000000000000000000000000000000000000", 1, 5, "does not fit in a 64-bit integer"),
        ("a = 1.", 1, 7, "expected a digit, found the end of the document"),
        ("a = 1.e5", 1, 7, "expected a digit, found 'e'"),
        ("a = .5", 1, 5, "expected a value, found '.'"),
        ("a = 1e", 1, 7, "expected a digit, found the end of the document"),
        ("a = 1.2.3", 1, 8, "'.' cannot stand in a number"),
        ("a = 1.5e400", 1, 5, "1.5e400 is out of range for a 64-bit float"),
        ("a = infinity", 1, 5, "expected a value, found 'infinity'"),
        ("a = -", 1, 5, "expected a value, found '-'"),
        // Date-times.
        ("a = 1979-05-27T:7:32:00Z", 1, 16, "invalid date-time: expected 2 digits for the hour, found ':'"),
        ("a = 1979-13-01", 1, 10, "invalid date: month 13 does not exist"),
        ("a = 1979-00-10", 1, 10, "invalid date: month 0 does not exist"),
        ("a = 1979-02-29", 1, 13, "invalid date: 1979-02-29 does not exist"),
        ("a = 1900-02-29", 1, 13, "invalid date: 1900-02-29 does not exist"),
        ("a = 2000-02-30", 1, 13, "invalid date: 2000-02-30 does not exist"),
        ("a = 1979-04-31", 1, 13, "invalid date: 1979-04-31 does not exist"),
        ("a = 1979-05-00", 1, 13, "invalid date: 1979-05-00 does not exist"),
        ("a = 1979-5-27", 1, 11, "invalid date-time: expected 2 digits for the month, found '-'"),
        ("a = 1979-05-27T24:00:00", 1, 16, "invalid time: hour 24 does not exist"),
        ("a = 1979-05-27T07:60:00", 1, 19, "invalid time: minute 60 does not exist"),
        ("a = 1979-05-27T07:32:61", 1, 22, "invalid time: second 61 does not exist"),
        ("a = 1979-05-27T07:32", 1, 21, "invalid date-time: expected ':' after the minutes (TOML 1.0 requires seconds)"),
        ("a = 07:32", 1, 10, "invalid date-time: expected ':' after the minutes (TOML 1.0 requires seconds)"),
        ("a = 1979-05-27T", 1, 16, "invalid date-time: expected 2 digits for the hour, found the end of the document"),
        ("a = 1979-05-27T07:32:00+24:00", 1, 25, "invalid time offset: hour 24 does not exist"),
        ("a = 1979-05-27T07:32:00+05:60", 1, 28, "invalid time offset: minute 60 does not exist"),
        ("a = 1979-05-27T07:32:00+0530", 1, 27, "invalid date-time: expected ':' between the offset's hours and minutes"),
        ("a = 1979-05-27T07:32:00.", 1, 25, "invalid time: expected a digit after '.'"),
        ("a = 1979-05-27T07:32:00Zjunk", 1, 25, "expected the end of the line, found 'j'"),
        ("a = 1979-05-27 07:32", 1, 21, "invalid date-time: expected ':' after the minutes"),
        // Table headers.
        ("[=", 1, 2, "expected a key, found '='"),
        ("[=]", 1, 2, "expected a key, found '='"),
        ("[[ %a ]]\nb = 1", 1, 4, "expected a key, found '%'"),
        ("\t[ .x]", 1, 4, "expected a key, found '.'"),
        ("hostname = \"x\"\n[smtp]\nlisen = \"x\"\n[= [\":25\"]\n", 4, 2, "expected a key, found '='"),
        ("[]", 1, 2, "expected a key, found ']'"),
        ("[a.]", 1, 4, "expected a key, found ']'"),
        ("[a]]", 1, 4, "expected the end of the line, found ']'"),
        ("[[a]\nb = 1", 1, 4, "an array-of-tables header must end with ']]'"),
        ("[[a] ]", 1, 4, "an array-of-tables header must end with ']]'"),
        ("[[a]b]]", 1, 4, "an array-of-tables header must end with ']]'"),
        ("[ [a] ]", 1, 3, "expected a key, found '['"),
        ("[a] b = 1", 1, 5, "expected the end of the line, found 'b'"),
        ("[a\nb]", 1, 3, "expected '.' or ']' in the table header, found a newline"),
        ("[\"\"\"a\"\"\"]", 1, 2, "a key cannot be a multi-line string"),
        // Keys and key/value pairs.
        ("= 1", 1, 1, "expected a key, found '='"),
        ("a b = 1", 1, 3, "expected '=' after the key, found 'b'"),
        ("a. = 1", 1, 4, "expected a key, found '='"),
        ("a = 1 b = 2", 1, 7, "expected the end of the line, found 'b'"),
        ("a =\n1", 1, 4, "expected a value, found a newline"),
        ("'''a''' = 1", 1, 1, "a key cannot be a multi-line string"),
        ("é = 1", 1, 1, "expected a key, found U+00E9"),
        ("x = 1\né = 1", 2, 1, "expected a key, found U+00E9"),
        ("s = \"é\" é", 1, 9, "expected the end of the line, found U+00E9"),
        // Strings.
        ("s = \"a\nb\"", 1, 7, "a string in \" cannot span lines"),
        ("s = 'a\nb'", 1, 7, "a string in ' cannot span lines"),
        ("s = \"\"\"a\"\"\"\"\"\"", 1, 14, "too many quotes"),
        ("s = '''a''''''", 1, 14, "too many quotes"),
        ("s = \"a\" \"b\"", 1, 9, "expected the end of the line, found '\"'"),
        // Arrays and inline tables.
        ("a = [1 2]", 1, 8, "expected ',' or ']' in the array, found '2'"),
        ("a = [,]", 1, 6, "expected a value, found ','"),
        ("a = [1,,2]", 1, 8, "expected a value, found ','"),
        ("a = [1] [2]", 1, 9, "expected the end of the line, found '['"),
        ("a = {b = 1,}", 1, 12, "a trailing comma is not allowed in an inline table"),
        ("a = {,}", 1, 6, "expected a key, found ','"),
        ("a = {b = 1\n}", 1, 11, "an inline table must be on one line"),
        ("a = {\nb = 1}", 1, 6, "an inline table must be on one line"),
        ("a = {b = 1, \n c = 2}", 1, 13, "an inline table must be on one line"),
        ("a = {b = 1 # comment\n}", 1, 12, "expected ',' or '}' in the inline table, found '#'"),
        ("a = {b = 1 c = 2}", 1, 12, "expected ',' or '}' in the inline table, found 'c'"),
        // Booleans.
        ("a = tru", 1, 5, "expected a value, found 't'"),
        ("a = True", 1, 5, "expected a value, found 'T'"),
        ("a = falsey", 1, 10, "expected the end of the line, found 'y'"),
        // Control characters: only tab is allowed, in strings and comments alike.
        ("a = \"x\u{0}y\"", 1, 7, "control character U+0000 is not allowed in a string"),
        ("a = \"x\u{1B}y\"", 1, 7, "control character U+001B is not allowed in a string"),
        ("a = 'x\u{7F}y'", 1, 7, "control character U+007F is not allowed in a string"),
        ("a = \"\"\"x\u{1B}y\"\"\"", 1, 9, "control character U+001B is not allowed in a string"),
        ("a = '''x\u{8}'''", 1, 9, "control character U+0008 is not allowed in a string"),
        ("# bell \u{7}\na = 1", 1, 8, "control character U+0007 is not allowed in a comment"),
        ("a = 1 # del \u{7F}", 1, 13, "control character U+007F is not allowed in a comment"),
        ("a = [ # x\u{0}\n]", 1, 10, "control character U+0000 is not allowed in a comment"),
        ("a = 1\rb = 2", 1, 6, "a carriage return must be followed by a line feed"),
        ("# x\r", 1, 4, "a carriage return must be followed by a line feed"),
        ("a = \"\"\"x\ry\"\"\"", 1, 9, "a carriage return must be followed by a line feed"),
        ("a =\u{C}1", 1, 4, "expected a value, found U+000C"),
        ("\u{0}", 1, 1, "expected a key, found U+0000"),
    ]

    @Test(arguments: invalid)
    func invalidDocument(document: String, line: Int, column: Int, message: String) {
        expectError(Array(document.utf8), line: line, column: column, message: message)
    }

    /// Invalid UTF-8 anywhere (RFC 3629 §3, §4): stray continuation bytes, overlong forms,
    /// surrogates, values above U+10FFFF, sequences cut short.
    static let invalidUTF8: [([UInt8], Int, Int)] = [
        (Array("a = \"".utf8) + [0xC3, 0x28] + Array("\"".utf8), 1, 6),
        (Array("a = 1 # ".utf8) + [0x80], 1, 9),
        (Array("x = 1\na = 'é".utf8) + [0xC0, 0x80] + Array("'".utf8), 2, 7),
        (Array("a = \"".utf8) + [0xED, 0xA0, 0x80] + Array("\"".utf8), 1, 6),
        (Array("a = \"".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("\"".utf8), 1, 6),
        (Array("a = \"".utf8) + [0xF5, 0x80, 0x80, 0x80] + Array("\"".utf8), 1, 6),
        (Array("a = \"".utf8) + [0xE0, 0x80, 0xAF] + Array("\"".utf8), 1, 6),
        (Array("a = \"".utf8) + [0xE2, 0x82], 1, 6),
        ([0xFF, 0xFE] + Array("a = 1".utf8), 1, 1),
    ]

    @Test(arguments: invalidUTF8)
    func invalidUTF8IsRefused(bytes: [UInt8], line: Int, column: Int) {
        expectError(bytes, line: line, column: column, message: "invalid UTF-8")
    }

    /// Documents that end inside a construct are `incomplete`; the error points at its start.
    static let incomplete: [(String, Int, Int, String)] = [
        ("s = \"abc", 1, 5, "this string is not closed with '\"'"),
        ("s = 'abc", 1, 5, "this string is not closed with \"'\""),
        ("s = \"\"\"abc\n", 1, 5, "this multi-line string is not closed with '\"\"\"'"),
        ("s = '''abc\n''", 1, 5, "this multi-line string is not closed with \"'''\""),
        ("s = \"abc\\", 1, 9, "the document ends inside an escape sequence"),
        ("s = \"\\u12", 1, 6, "\\u needs 4 hexadecimal digits"),
        ("a = [1, 2", 1, 5, "this array is not closed with ']'"),
        ("a = [\n1,\n[2,\n", 3, 1, "this array is not closed with ']'"),
        ("a = {b = 1", 1, 5, "this inline table is not closed with '}'"),
        ("a = {b = 1, ", 1, 5, "this inline table is not closed with '}'"),
        ("a = ", 1, 5, "expected a value, found the end of the document"),
        ("a", 1, 2, "expected '=' after the key, found the end of the document"),
        ("a.", 1, 3, "expected a key, found the end of the document"),
        ("[a", 1, 3, "expected ']' to close the table header, found the end of the document"),
        ("[[a]", 1, 5, "expected ']]' to close the table header, found the end of the document"),
    ]

    @Test(arguments: incomplete)
    func incompleteDocument(document: String, line: Int, column: Int, message: String) {
        expectError(Array(document.utf8), kind: .incomplete, line: line, column: column, message: message)
    }

    // MARK: - Limits

    static let tooDeep: [(String, Int, Int)] = [
        ("a = " + repeated("[", 65) + repeated("]", 65), 1, 69),
        ("a = " + repeated("{ b = ", 64) + "1" + repeated(" }", 64), 1, 389),
        ("[" + repeated("a", 65, separator: ".") + "]", 1, 130),
        ("[[" + repeated("a", 64, separator: ".") + "]]", 1, 129),
        (repeated("a", 65, separator: ".") + " = 1", 1, 133),
        ("[" + repeated("a", 40, separator: ".") + "]\n" + repeated("b", 30, separator: ".") + " = 1", 2, 49),
        // Deep enough that unbounded recursion would overflow the stack.
        ("a=" + repeated("[", 100_000), 1, 67),
    ]

    @Test(arguments: tooDeep)
    func nestingDeeperThanTheLimitIsRefused(document: String, line: Int, column: Int) {
        expectError(Array(document.utf8), kind: .limitExceeded, line: line, column: column,
                    message: "tables and arrays nest deeper than 64 levels")
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        // The root is level 0, the value of a key in it level 1: 64 arrays reach level 64.
        let arrays = try TOMLParser.parse("a = " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        var value = arrays["a"]
        var depth = 1
        while let inner = value?.array?.first {
            value = inner
            depth += 1
        }
        #expect(depth == 64)
        let header = try TOMLParser.parse("[" + Array(repeating: "a", count: 64).joined(separator: ".") + "]")
        #expect(header["a"]?.table != nil)
    }

    @Test func inputLargerThanTheLimitIsRefused() throws {
        let limits = TOMLParser.Limits(maxInputBytes: 16)
        #expect(try TOMLParser.parse("a = \"0123456789\"", limits: limits) == ["a": "0123456789"])
        expectError(Array("a = \"01234567890\"".utf8), limits: limits, kind: .limitExceeded, line: 1, column: 1,
                    message: "the document is larger than 16 bytes")
        #expect(TOMLParser.Limits().maxInputBytes == 4 << 20)
    }

    /// A document of a few megabytes, every feature many times over.
    @Test func largeDocument() throws {
        var text = "# stress\n"
        let count = 10_000
        for index in 0..<count {
            text += """
                [t\(index)]
                name = "table \(index) \\u00E9 ✓"
                n = 1\(index)_000
                f = \(index).5e-3
                d = 1979-05-27T07:32:00Z
                a = [1, 'two', { three = 3 }, [4], \(index)]
                k.v.w = true
                [[t\(index).list]]
                m = \"\"\"
                multi \\
                  line\"\"\"

                """
        }
        let table = try TOMLParser.parse(text)
        #expect(table.count == count)
        #expect(table.keys.first == "t0" && table.keys.last == "t\(count - 1)")
        let last = try #require(table["t\(count - 1)"]?.table)
        #expect(last["name"] == .string("table \(count - 1) é ✓"))
        #expect(last["n"] == .integer(Int("1\(count - 1)000")!))
        #expect(last["a"]?.array?.count == 5)
        #expect(last["k"] == ["v": ["w": true]])
        #expect(last["list"] == [["m": "multi line"]])
    }

    /// Every prefix of a real configuration either parses or fails with an error; one cut
    /// inside a string or an array is `incomplete`.
    @Test func everyPrefixOfAConfigurationGivesAResultOrAnError() throws {
        let bytes = Array(DefaultConfiguration.text(hostname: "mail.alato.example").utf8)
        _ = try TOMLParser.parse(bytes)
        var incomplete = 0
        for end in 0..<bytes.count {
            do {
                _ = try TOMLParser.parse(bytes[..<end])
            } catch {
                #expect(error.line >= 1 && error.column >= 1)
                if error.kind == .incomplete { incomplete += 1 }
            }
        }
        #expect(incomplete > 0)
    }

    // MARK: - Helpers

    func expectError(_ bytes: [UInt8], limits: TOMLParser.Limits = .init(), kind: TOMLParseError.Kind? = nil,
                     line: Int, column: Int, message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let table = try TOMLParser.parse(bytes, limits: limits)
            Issue.record("accepted \(String(decoding: bytes, as: UTF8.self).debugDescription) as \(table)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.line == line && error.column == column, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
            if let kind { #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation) }
        }
    }
}

private func repeated(_ text: String, _ count: Int, separator: String = "") -> String {
    Array(repeating: text, count: count).joined(separator: separator)
}

private func dateTime(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                      nanosecond: Int = 0, offset: Int? = nil) -> TOMLValue {
    .dateTime(TOMLDateTime(date: .init(year: year, month: month, day: day),
                           time: .init(hour: hour, minute: minute, second: second, nanosecond: nanosecond),
                           offsetMinutes: offset))
}
