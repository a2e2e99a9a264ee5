import SMTPCore

/// Parses one POP3 command line (CRLF removed; the ``LineFramer`` enforced the 255-octet limit
/// of RFC 2449 §4).
///
/// ```
/// command  = keyword *(SP argument)         ; RFC 1939 §3
/// keyword  = 3*4(ALPHA / DIGIT)             ; case-insensitive; UTF8 has a digit
/// msg      = 1*DIGIT                        ; no sign, no leading space
/// ```
/// Arguments are separated by exactly one space (RFC 1939 §3). `PASS` takes the rest of the
/// line as the password, spaces included (RFC 1939 §7 allows it; passwords have spaces). Every
/// refusal is the `-ERR` response the client sees.
public enum POP3CommandParser {
    public static func parse(_ line: some Collection<UInt8>) -> Result<POP3Command, POP3Response> {
        let bytes = Array(line)
        let keywordEnd = bytes.firstIndex(of: 0x20) ?? bytes.endIndex
        let keywordBytes = bytes[..<keywordEnd]
        guard (3...4).contains(keywordBytes.count), keywordBytes.allSatisfy(isKeywordCharacter) else {
            return .failure(.unknownCommand)
        }
        let keyword = String(decoding: keywordBytes.map(upper), as: UTF8.self)
        let rest = keywordEnd < bytes.endIndex ? Array(bytes[(keywordEnd + 1)...]) : nil

        switch keyword {
        case "USER":
            // RFC 1939 §7: USER name. The name is an address: no spaces, valid UTF-8.
            guard let rest, !rest.isEmpty, !rest.contains(0x20), let name = text(rest) else {
                return .failure(.syntaxError("USER name"))
            }
            return .success(.user(name))
        case "PASS":
            guard let rest, !rest.isEmpty, !rest.contains(0) else { return .failure(.syntaxError("PASS password")) }
            return .success(.pass(Secret(rest)))
        case "AUTH":
            return auth(rest)
        case "STAT": return noArguments(rest, .stat, usage: "STAT")
        case "RSET": return noArguments(rest, .rset, usage: "RSET")
        case "NOOP": return noArguments(rest, .noop, usage: "NOOP")
        case "QUIT": return noArguments(rest, .quit, usage: "QUIT")
        case "CAPA": return noArguments(rest, .capa, usage: "CAPA")
        case "STLS": return noArguments(rest, .stls, usage: "STLS")
        case "UTF8": return noArguments(rest, .utf8, usage: "UTF8")
        case "LIST":
            return optionalNumber(rest, usage: "LIST [msg]").map(POP3Command.list)
        case "UIDL":
            return optionalNumber(rest, usage: "UIDL [msg]").map(POP3Command.uidl)
        case "RETR":
            return numbers(rest, count: 1, usage: "RETR msg").map { .retr($0[0]) }
        case "DELE":
            return numbers(rest, count: 1, usage: "DELE msg").map { .dele($0[0]) }
        case "TOP":
            return numbers(rest, count: 2, usage: "TOP msg lines").map { .top($0[0], lines: $0[1]) }
        default:
            return .failure(.unknownCommand)
        }
    }

    /// `AUTH [mechanism [initial-response]]` (RFC 5034 §4): the mechanism is upper-cased; the
    /// initial response is base64 or `=` and is decoded by the session.
    private static func auth(_ rest: [UInt8]?) -> Result<POP3Command, POP3Response> {
        guard let rest else { return .success(.auth(mechanism: nil, initialResponse: nil)) }
        let parts = rest.split(separator: 0x20, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }),
              parts[0].allSatisfy(isMechanismCharacter) else {
            return .failure(.syntaxError("AUTH mechanism [initial-response]"))
        }
        let mechanism = String(decoding: parts[0].map(upper), as: UTF8.self)
        let initial = parts.count == 2 ? String(decoding: parts[1], as: UTF8.self) : nil
        return .success(.auth(mechanism: mechanism, initialResponse: initial))
    }

    private static func noArguments(_ rest: [UInt8]?, _ command: POP3Command, usage: String) -> Result<POP3Command, POP3Response> {
        rest == nil ? .success(command) : .failure(.syntaxError(usage))
    }

    private static func optionalNumber(_ rest: [UInt8]?, usage: String) -> Result<Int?, POP3Response> {
        guard rest != nil else { return .success(nil) }
        return numbers(rest, count: 1, usage: usage).map { Optional($0[0]) }
    }

    private static func numbers(_ rest: [UInt8]?, count: Int, usage: String) -> Result<[Int], POP3Response> {
        guard let rest else { return .failure(.syntaxError(usage)) }
        let parts = rest.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == count else { return .failure(.syntaxError(usage)) }
        var values: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= POP3Limits.maxNumberDigits, part.allSatisfy(isDigit) else {
                return .failure(.syntaxError(usage))
            }
            values.append(part.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        return .success(values)
    }

    private static func text(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        let string = String(decoding: bytes, as: UTF8.self)
        // Decoding replaced invalid UTF-8: refuse rather than look up a different name.
        return Array(string.utf8) == bytes ? string : nil
    }

    /// Letters, and the digit of `UTF8` (RFC 6856 §2).
    private static func isKeywordCharacter(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }
    private static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    private static func upper(_ byte: UInt8) -> UInt8 { (0x61...0x7A).contains(byte) ? byte - 0x20 : byte }
    /// RFC 4422 §3.1: mechanism names are upper-case letters, digits, `-` and `_`.
    private static func isMechanismCharacter(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
