/// Parses one SMTP command line into a `Command`, or the reply that refuses it.
///
/// The line is given without its CRLF: framing (and the line-length limit of
/// `SMTPLimits.extendedCommandLine`) is the server's job. Invalid input never traps;
/// it yields a `Reply`:
///
/// | problem | reply |
/// |---|---|
/// | CR or LF inside the line | 500 5.5.2 `Reply.bareLineEndingInCommand` |
/// | not UTF-8 | 500 5.5.2 `Reply.invalidUTF8` |
/// | control characters | 500 5.5.2 `Reply.syntaxError` |
/// | unknown verb | 500 5.5.1 `Reply.unrecognizedCommand` |
/// | obsolete verb (SEND, SOML, SAML, TURN, ...) | 502 5.5.1 `Reply.notImplemented` |
/// | bad arguments | 501 5.5.4 `Reply.parameterSyntax` |
/// | bad sender / recipient address | 501 5.1.7 / 501 5.1.3 |
/// | unknown MAIL/RCPT parameter | 555 5.5.4 `Reply.parametersNotRecognized` |
/// | repeated MAIL/RCPT parameter | 501 5.5.4 `Reply.duplicateParameter` |
///
/// Verbs and keywords are case-insensitive (RFC 5321 §2.4).
public enum CommandParser {
    /// Parses one line (without CRLF).
    public static func parse(_ line: some Collection<UInt8>) -> Result<Command, Reply> {
        do {
            return .success(try parseCommand(Array(line)))
        } catch {
            return .failure(error)
        }
    }

    /// Verbs RFC 5321 §4.2.4 lets us answer with 502: recognised, deliberately not implemented.
    private static let obsoleteVerbs: Set<String> = ["SEND", "SOML", "SAML", "TURN", "ETRN", "ATRN"]

    /// ```
    /// command = verb [SP arguments]
    /// ```
    static func parseCommand(_ bytes: [UInt8]) throws(Reply) -> Command {
        if bytes.count > SMTPLimits.extendedCommandLine { throw Reply.lineTooLong }
        // RFC 5321 §2.3.8: CR and LF only appear together as the line ending.
        if bytes.contains(ASCII.cr) || bytes.contains(ASCII.lf) { throw Reply.bareLineEndingInCommand }
        // RFC 6531 §3.3: with or without SMTPUTF8, the line must be valid UTF-8.
        guard ASCII.isValidUTF8(bytes) else { throw Reply.invalidUTF8 }
        // Commands are printable text (RFC 5321 §4.1.1); NUL and other controls are refused.
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw Reply.syntaxError }

        var cursor = ByteCursor(bytes)
        let verbBytes = cursor.take(while: ASCII.isAlpha)
        guard !verbBytes.isEmpty, cursor.isAtEnd || cursor.peek() == ASCII.space else {
            throw Reply.unrecognizedCommand
        }
        let verb = String(decoding: verbBytes.map(ASCII.uppercased), as: UTF8.self)
        // After the verb: nothing, or one SP and the arguments.
        let argument: ArraySlice<UInt8>? = cursor.consume(ASCII.space) ? cursor.remaining : nil

        switch verb {
        case "EHLO":
            return .ehlo(try parseHelloArgument(argument))
        case "HELO":
            return .helo(try parseHelloArgument(argument))
        case "MAIL":
            return try parseMail(argument)
        case "RCPT":
            return try parseRcpt(argument)
        case "DATA":
            try requireNoArgument(argument)
            return .data
        case "BDAT":
            return try parseBDAT(argument)
        case "RSET":
            try requireNoArgument(argument)
            return .rset
        case "NOOP":
            // RFC 5321 §4.1.1.9: "NOOP" [ SP String ]; the string is ignored.
            return .noop
        case "QUIT":
            try requireNoArgument(argument)
            return .quit
        case "VRFY":
            return .vrfy(try requireArgument(argument))
        case "EXPN":
            return .expn(try requireArgument(argument))
        case "HELP":
            // RFC 5321 §4.1.1.8: "HELP" [ SP String ]
            guard let argument else { return .help(nil) }
            return .help(argument.isEmpty ? nil : String(decoding: argument, as: UTF8.self))
        case "STARTTLS":
            // RFC 3207 §4: "STARTTLS" with no parameters; 501 otherwise.
            try requireNoArgument(argument)
            return .startTLS
        case "AUTH":
            return try parseAuth(argument)
        default:
            if obsoleteVerbs.contains(verb) { throw Reply.notImplemented }
            throw Reply.unrecognizedCommand
        }
    }

    /// ```
    /// ehlo = "EHLO" SP ( Domain / address-literal ) CRLF
    /// helo = "HELO" SP Domain CRLF
    /// ```
    /// (RFC 5321 §4.1.1.1.) Checked loosely: one token of letters, digits and
    /// `. - _ : [ ]` (or UTF-8), at most 255 octets. Many real clients send an
    /// underscore or a bare IP address, and RFC 5321 §4.1.4 forbids refusing a
    /// session because the name looks wrong; the token is only used in the
    /// Received header, so nothing that could break that header gets through.
    static func parseHelloArgument(_ argument: ArraySlice<UInt8>?) throws(Reply) -> String {
        guard let argument, !argument.isEmpty, argument.count <= SMTPLimits.domain else {
            throw Reply.parameterSyntax.with(text: "EHLO/HELO requires a domain or address literal")
        }
        let allowed = argument.allSatisfy { byte in
            ASCII.isLetDig(byte) || ASCII.isNonASCII(byte) || byte == ASCII.dot || byte == ASCII.hyphen
                || byte == UInt8(ascii: "_") || byte == ASCII.colon
                || byte == ASCII.openBracket || byte == ASCII.closeBracket
        }
        guard allowed else {
            throw Reply.parameterSyntax.with(text: "Invalid EHLO/HELO domain")
        }
        return String(decoding: argument, as: UTF8.self)
    }

    /// ```
    /// mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
    /// ```
    /// (RFC 5321 §4.1.1.2.) One SP after the colon is tolerated: many clients send it
    /// and Postfix accepts it. Nothing else is.
    static func parseMail(_ argument: ArraySlice<UInt8>?) throws(Reply) -> Command {
        let syntax = Reply.parameterSyntax.with(text: "Syntax: MAIL FROM:<address>")
        guard let argument else { throw syntax }
        var cursor = ByteCursor(Array(argument))
        guard cursor.consumeCaseInsensitive("FROM:") else { throw syntax }
        _ = cursor.consume(ASCII.space)
        guard cursor.peek() == ASCII.lessThan else { throw Reply.badSenderSyntax }
        let path: ReversePath
        do {
            path = try AddressParser.parseReversePath(&cursor)
        } catch {
            throw error.reply(syntax: .badSenderSyntax)
        }
        let parameters = try parseTrailingParameters(&cursor, ParameterParser.parseMail, syntax: .badSenderSyntax)
        return .mail(path, parameters)
    }

    /// ```
    /// rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
    ///        Forward-path ) [SP Rcpt-parameters] CRLF
    /// ```
    /// (RFC 5321 §4.1.1.3.) The same single-SP tolerance as MAIL.
    static func parseRcpt(_ argument: ArraySlice<UInt8>?) throws(Reply) -> Command {
        let syntax = Reply.parameterSyntax.with(text: "Syntax: RCPT TO:<address>")
        guard let argument else { throw syntax }
        var cursor = ByteCursor(Array(argument))
        guard cursor.consumeCaseInsensitive("TO:") else { throw syntax }
        _ = cursor.consume(ASCII.space)
        guard cursor.peek() == ASCII.lessThan else { throw Reply.badRecipientSyntax }
        let path: ForwardPath
        do {
            path = try AddressParser.parseForwardPath(&cursor)
        } catch {
            throw error.reply(syntax: .badRecipientSyntax)
        }
        let parameters = try parseTrailingParameters(&cursor, ParameterParser.parseRcpt, syntax: .badRecipientSyntax)
        return .rcpt(path, parameters)
    }

    /// After a path: end of line, or exactly one SP and the parameters. Anything glued to
    /// the `>` is an address syntax error.
    private static func parseTrailingParameters<P>(
        _ cursor: inout ByteCursor,
        _ parse: (ArraySlice<UInt8>) throws(Reply) -> P,
        syntax: Reply
    ) throws(Reply) -> P where P: Defaultable {
        if cursor.isAtEnd { return P.empty }
        guard cursor.consume(ASCII.space) else { throw syntax }
        return try parse(cursor.remaining)
    }

    /// ```
    /// bdat-cmd   ::= "BDAT" SP chunk-size [ SP end-marker ] CR LF
    /// chunk-size ::= 1*DIGIT
    /// end-marker ::= "LAST"
    /// ```
    /// (RFC 3030 §2.) Sizes that do not fit in 18 digits are refused as syntax errors.
    static func parseBDAT(_ argument: ArraySlice<UInt8>?) throws(Reply) -> Command {
        let syntax = Reply.parameterSyntax.with(text: "Syntax: BDAT size [LAST]")
        guard let argument else { throw syntax }
        var cursor = ByteCursor(Array(argument))
        let digits = cursor.take(while: ASCII.isDigit)
        guard !digits.isEmpty, digits.count <= 18 else { throw syntax }
        let size = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        if cursor.isAtEnd { return .bdat(size: size, last: false) }
        guard cursor.consume(ASCII.space), cursor.consumeCaseInsensitive("LAST"), cursor.isAtEnd else { throw syntax }
        return .bdat(size: size, last: true)
    }

    /// ```
    /// auth-command    = "AUTH" SP sasl-mech [SP initial-response]
    /// sasl-mech       = 1*20mech-char                     ; RFC 4422 §3.1
    /// mech-char       = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE
    /// initial-response= base64 / "="
    /// ```
    /// (RFC 4954 §4.) The mechanism is matched case-insensitively and returned uppercased.
    static func parseAuth(_ argument: ArraySlice<UInt8>?) throws(Reply) -> Command {
        let syntax = Reply.parameterSyntax.with(text: "Syntax: AUTH mechanism [initial-response]")
        guard let argument else { throw syntax }
        let parts = argument.split(separator: ASCII.space, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { throw syntax }
        let mechanism = parts[0]
        guard (1...20).contains(mechanism.count),
              mechanism.allSatisfy({ ASCII.isLetDig($0) || $0 == ASCII.hyphen || $0 == UInt8(ascii: "_") })
        else { throw syntax }
        var initialResponse: String?
        if parts.count == 2 {
            let response = parts[1]
            guard !response.isEmpty, response.allSatisfy(Base64.isAlphabetOrPad) else { throw syntax }
            initialResponse = String(decoding: response, as: UTF8.self)
        }
        return .auth(mechanism: String(decoding: mechanism.map(ASCII.uppercased), as: UTF8.self),
                     initialResponse: initialResponse)
    }

    private static func requireNoArgument(_ argument: ArraySlice<UInt8>?) throws(Reply) {
        guard argument == nil else { throw Reply.parameterSyntax.with(text: "No parameters allowed") }
    }

    private static func requireArgument(_ argument: ArraySlice<UInt8>?) throws(Reply) -> String {
        guard let argument, !argument.isEmpty else { throw Reply.parameterSyntax.with(text: "Argument required") }
        return String(decoding: argument, as: UTF8.self)
    }
}

/// Parameter sets that have an "absent" value, for the shared MAIL/RCPT tail parsing.
protocol Defaultable {
    static var empty: Self { get }
}

extension MailParameters: Defaultable {
    static var empty: MailParameters { MailParameters() }
}

extension RcptParameters: Defaultable {
    static var empty: RcptParameters { RcptParameters() }
}
