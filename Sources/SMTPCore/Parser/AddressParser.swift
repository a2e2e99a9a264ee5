/// Why an address was refused. The command parser turns these into the 501 reply for
/// the sender or the recipient (`Reply.badSenderSyntax` / `Reply.badRecipientSyntax`).
enum AddressError: Error, Equatable {
    case syntax
    /// Local part over 64 octets (RFC 5321 §4.5.3.1.1).
    case localPartTooLong
    /// Domain over 255 octets (RFC 5321 §4.5.3.1.2).
    case domainTooLong
    /// Path over 256 octets (RFC 5321 §4.5.3.1.3).
    case pathTooLong

    /// The reply for this error, given the syntax reply for the context.
    func reply(syntax: Reply) -> Reply {
        switch self {
        case .syntax: return syntax
        case .localPartTooLong: return syntax.with(text: "Local part too long")
        case .domainTooLong: return syntax.with(text: "Domain too long")
        // RFC 5321 §4.5.3.1.10 suggests "501 Path too long".
        case .pathTooLong: return syntax.with(text: "Path too long")
        }
    }
}

/// Recursive-descent parser for the address grammar of RFC 5321 §4.1.2 and §4.1.3 with
/// the RFC 6531 §3.3 UTF-8 extensions. Input must already be valid UTF-8.
enum AddressParser {
    /// Parses a whole `Mailbox` with nothing after it.
    static func parseMailbox(_ bytes: [UInt8]) -> Result<Mailbox, AddressError> {
        guard ASCII.isValidUTF8(bytes) else { return .failure(.syntax) }
        var cursor = ByteCursor(bytes)
        do {
            let mailbox = try parseMailbox(&cursor)
            guard cursor.isAtEnd else { return .failure(.syntax) }
            return .success(mailbox)
        } catch {
            return .failure(error)
        }
    }

    /// ```
    /// Reverse-path   = Path / "<>"
    /// ```
    static func parseReversePath(_ cursor: inout ByteCursor) throws(AddressError) -> ReversePath {
        if cursor.peek() == ASCII.lessThan, cursor.peek(1) == ASCII.greaterThan {
            cursor.index += 2
            return .null
        }
        return .mailbox(try parsePath(&cursor))
    }

    /// ```
    /// Forward-path   = "<Postmaster@" Domain ">" / "<Postmaster>" / Path
    /// ```
    /// (RFC 5321 §4.1.1.3; "Postmaster" is case-insensitive, §4.5.1.)
    static func parseForwardPath(_ cursor: inout ByteCursor) throws(AddressError) -> ForwardPath {
        var probe = cursor
        if probe.consumeCaseInsensitive("<postmaster>") {
            cursor = probe
            return .postmaster
        }
        return .mailbox(try parsePath(&cursor))
    }

    /// ```
    /// Path           = "<" [ A-d-l ":" ] Mailbox ">"
    /// A-d-l          = At-domain *( "," At-domain )
    ///                ; Note that this form, the so-called "source
    ///                ; route", MUST BE accepted, SHOULD NOT be
    ///                ; generated, and SHOULD be ignored.
    /// At-domain      = "@" Domain
    /// ```
    /// The source route is parsed and dropped (RFC 5321 §4.1.2, Appendix C).
    static func parsePath(_ cursor: inout ByteCursor) throws(AddressError) -> Mailbox {
        let start = cursor.index
        guard cursor.consume(ASCII.lessThan) else { throw .syntax }
        if cursor.peek() == ASCII.at {
            repeat {
                guard cursor.consume(ASCII.at) else { throw .syntax }
                _ = try parseDomain(&cursor, allowTrailingDot: false)
            } while cursor.consume(ASCII.comma)
            guard cursor.consume(ASCII.colon) else { throw .syntax }
        }
        let mailbox = try parseMailbox(&cursor)
        guard cursor.consume(ASCII.greaterThan) else { throw .syntax }
        // RFC 5321 §4.5.3.1.3: the path, brackets included, is at most 256 octets.
        if cursor.index - start > SMTPLimits.path { throw .pathTooLong }
        return mailbox
    }

    /// ```
    /// Mailbox        = Local-part "@" ( Domain / address-literal )
    /// ```
    static func parseMailbox(_ cursor: inout ByteCursor) throws(AddressError) -> Mailbox {
        let localPart = try parseLocalPart(&cursor)
        guard cursor.consume(ASCII.at) else { throw .syntax }
        let domain: MailDomain
        if cursor.peek() == ASCII.openBracket {
            domain = .addressLiteral(try parseAddressLiteral(&cursor))
        } else {
            // A single trailing dot is kept (not RFC 5321 syntax) so that the relay policy
            // sees `example.net.` exactly as written and refuses it.
            domain = .name(try parseDomain(&cursor, allowTrailingDot: true))
        }
        return Mailbox(localPart: localPart, domain: domain)
    }

    /// ```
    /// Local-part     = Dot-string / Quoted-string
    /// Dot-string     = Atom *("."  Atom)
    /// Atom           = 1*atext                    ; RFC 6531: atext =/ UTF8-non-ascii
    /// Quoted-string  = DQUOTE *QcontentSMTP DQUOTE
    /// QcontentSMTP   = qtextSMTP / quoted-pairSMTP
    /// quoted-pairSMTP  = %d92 %d32-126
    /// qtextSMTP      = %d32-33 / %d35-91 / %d93-126 ; RFC 6531: =/ UTF8-non-ascii
    /// ```
    /// Returns the canonical content (quotes removed, quoted-pairs resolved).
    static func parseLocalPart(_ cursor: inout ByteCursor) throws(AddressError) -> String {
        let start = cursor.index
        var content: [UInt8] = []
        if cursor.consume(ASCII.quote) {
            while true {
                guard let byte = cursor.next() else { throw .syntax }
                if byte == ASCII.quote { break }
                if byte == ASCII.backslash {
                    guard let escaped = cursor.next(), escaped >= 32, escaped <= 126 else { throw .syntax }
                    content.append(escaped)
                } else if ASCII.isQtextSMTP(byte) {
                    content.append(byte)
                } else {
                    throw .syntax
                }
            }
        } else {
            while true {
                let atom = cursor.take(while: ASCII.isAtext)
                guard !atom.isEmpty else { throw .syntax }
                content.append(contentsOf: atom)
                guard cursor.peek() == ASCII.dot else { break }
                cursor.index += 1
                content.append(ASCII.dot)
            }
        }
        // RFC 5321 §4.5.3.1.1, measured on the wire form.
        if cursor.index - start > SMTPLimits.localPart { throw .localPartTooLong }
        return String(decoding: content, as: UTF8.self)
    }

    /// ```
    /// Domain         = sub-domain *("." sub-domain)
    /// sub-domain     = Let-dig [Ldh-str]          ; RFC 6531: sub-domain =/ U-label
    /// Let-dig        = ALPHA / DIGIT
    /// Ldh-str        = *( ALPHA / DIGIT / "-" ) Let-dig
    /// ```
    /// U-labels are accepted as any run of letters, digits, hyphens and non-ASCII with the
    /// same hyphen rule; full IDNA2008 validation is left to the resolver.
    static func parseDomain(_ cursor: inout ByteCursor, allowTrailingDot: Bool) throws(AddressError) -> String {
        let start = cursor.index
        while true {
            let label = cursor.take { ASCII.isLetDig($0) || $0 == ASCII.hyphen || ASCII.isNonASCII($0) }
            guard let first = label.first, let last = label.last,
                  first != ASCII.hyphen, last != ASCII.hyphen else { throw .syntax }
            // RFC 1035 §2.3.4: labels are 63 octets or less.
            guard label.count <= 63 else { throw .syntax }
            guard cursor.peek() == ASCII.dot else { break }
            cursor.index += 1
            if allowTrailingDot, let next = cursor.peek(), !(ASCII.isLetDig(next) || ASCII.isNonASCII(next)) {
                break
            }
            if allowTrailingDot, cursor.isAtEnd { break }
        }
        // RFC 5321 §4.5.3.1.2.
        if cursor.index - start > SMTPLimits.domain { throw .domainTooLong }
        return String(decoding: cursor.bytes[start..<cursor.index], as: UTF8.self)
    }

    /// ```
    /// address-literal  = "[" ( IPv4-address-literal /
    ///                    IPv6-address-literal /
    ///                    General-address-literal ) "]"
    /// IPv4-address-literal  = Snum 3("."  Snum)
    /// IPv6-address-literal  = "IPv6:" IPv6-addr
    /// ```
    /// General-address-literal is refused: no standardized tag other than IPv6 is
    /// registered (RFC 5321 §4.1.3), and an unknown literal cannot be routed anyway.
    /// Returns the literal text including brackets.
    static func parseAddressLiteral(_ cursor: inout ByteCursor) throws(AddressError) -> String {
        let start = cursor.index
        guard cursor.consume(ASCII.openBracket) else { throw .syntax }
        let inner = cursor.take { $0 != ASCII.closeBracket && ASCII.isVisible($0) }
        guard cursor.consume(ASCII.closeBracket) else { throw .syntax }
        let text = Array(inner)
        var probe = ByteCursor(text)
        if probe.consumeCaseInsensitive("IPv6:") {
            guard IPAddressSyntax.isIPv6(Array(probe.remaining)) else { throw .syntax }
        } else {
            guard IPAddressSyntax.isIPv4(text) else { throw .syntax }
        }
        if cursor.index - start > SMTPLimits.domain { throw .domainTooLong }
        return String(decoding: cursor.bytes[start..<cursor.index], as: UTF8.self)
    }
}
