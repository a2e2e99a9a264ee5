/// Parses RFC 5322 §3.4 address lists as found in `From:` (with RFC 6854 groups and
/// RFC 6532 UTF-8), returning the mailboxes. Display names, comments and routes are
/// dropped; only the addr-specs matter to the sender-identity check.
///
/// ```
/// address-list    =   (address *("," address)) / obs-addr-list
/// address         =   mailbox / group
/// mailbox         =   name-addr / addr-spec
/// name-addr       =   [display-name] angle-addr
/// angle-addr      =   [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr
/// obs-angle-addr  =   [CFWS] "<" obs-route addr-spec ">" [CFWS]
/// group           =   display-name ":" [group-list] ";" [CFWS]
/// display-name    =   phrase
/// addr-spec       =   local-part "@" domain
/// local-part      =   dot-atom / quoted-string / obs-local-part
/// domain          =   dot-atom / domain-literal / obs-domain
/// ```
enum AddressListParser {
    enum Token: Equatable {
        case atom([UInt8])
        case quoted([UInt8])
        case literal([UInt8])
        case special(UInt8)
    }

    /// The mailboxes, or nil when the value is not a valid address list.
    static func parse(_ value: [UInt8]) -> [Mailbox]? {
        guard ASCII.isValidUTF8(value), let tokens = tokenize(value) else { return nil }
        var mailboxes: [Mailbox] = []
        var index = 0
        var inGroup = false
        var pending: [Token] = []

        func flushAddrSpec() -> Bool {
            defer { pending.removeAll() }
            // obs-addr-list / obs-group-list allow empty elements.
            if pending.isEmpty { return true }
            guard let mailbox = addrSpec(pending) else { return false }
            mailboxes.append(mailbox)
            return true
        }

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .special(ASCII.lessThan):
                // pending tokens were the display name.
                guard pending.allSatisfy(isPhraseToken) else { return nil }
                pending.removeAll()
                guard let close = tokens[index...].firstIndex(of: .special(ASCII.greaterThan)) else { return nil }
                var inner = Array(tokens[index..<close])
                index = close + 1
                // obs-route: "@a,@b:" before the addr-spec is ignored.
                if inner.first == .special(ASCII.at), let colon = inner.firstIndex(of: .special(ASCII.colon)) {
                    inner = Array(inner[(colon + 1)...])
                }
                guard let mailbox = addrSpec(inner) else { return nil }
                mailboxes.append(mailbox)
                // After angle-addr: a separator or the end.
                if index < tokens.count {
                    let next = tokens[index]
                    guard next == .special(ASCII.comma) || (inGroup && next == .special(ASCII.semicolon)) else {
                        return nil
                    }
                }
            case .special(ASCII.colon):
                guard !inGroup, !pending.isEmpty, pending.allSatisfy(isPhraseToken) else { return nil }
                pending.removeAll()
                inGroup = true
            case .special(ASCII.semicolon):
                guard inGroup, flushAddrSpec() else { return nil }
                inGroup = false
            case .special(ASCII.comma):
                guard flushAddrSpec() else { return nil }
            default:
                pending.append(token)
            }
        }
        guard !inGroup, flushAddrSpec() else { return nil }
        return mailboxes
    }

    private static func isPhraseToken(_ token: Token) -> Bool {
        switch token {
        case .atom, .quoted: return true
        case .special(ASCII.dot): return true     // obs-phrase
        default: return false
        }
    }

    /// `local-part "@" domain` from tokens.
    private static func addrSpec(_ tokens: [Token]) -> Mailbox? {
        guard let at = tokens.lastIndex(of: .special(ASCII.at)) else { return nil }
        let localTokens = tokens[..<at], domainTokens = tokens[(at + 1)...]
        // local-part: word *("." word)
        var local: [UInt8] = []
        var expectWord = true
        for token in localTokens {
            switch token {
            case .atom(let bytes), .quoted(let bytes):
                guard expectWord else { return nil }
                local.append(contentsOf: bytes)
                expectWord = false
            case .special(ASCII.dot):
                guard !expectWord else { return nil }
                local.append(ASCII.dot)
                expectWord = true
            default:
                return nil
            }
        }
        guard !local.isEmpty, !expectWord else { return nil }
        // domain: atom *("." atom) / domain-literal
        if domainTokens.count == 1, case .literal(let literal) = domainTokens.first {
            return Mailbox(localPart: String(decoding: local, as: UTF8.self),
                           domain: .addressLiteral(String(decoding: literal, as: UTF8.self)))
        }
        var domain: [UInt8] = []
        expectWord = true
        for token in domainTokens {
            switch token {
            case .atom(let bytes):
                guard expectWord else { return nil }
                domain.append(contentsOf: bytes)
                expectWord = false
            case .special(ASCII.dot):
                guard !expectWord else { return nil }
                domain.append(ASCII.dot)
                expectWord = true
            default:
                return nil
            }
        }
        guard !domain.isEmpty, !expectWord else { return nil }
        return Mailbox(localPart: String(decoding: local, as: UTF8.self),
                       domain: .name(String(decoding: domain, as: UTF8.self)))
    }

    /// Splits into atoms, quoted strings (unescaped content), domain literals and specials;
    /// whitespace and comments are dropped. Nil on unterminated quotes/comments/literals.
    static func tokenize(_ bytes: [UInt8]) -> [Token]? {
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf:
                index += 1
            case ASCII.openParen:
                // RFC 5322 §3.2.2: comments nest and may contain quoted-pairs.
                var depth = 0
                repeat {
                    guard index < bytes.count else { return nil }
                    switch bytes[index] {
                    case ASCII.openParen: depth += 1
                    case ASCII.closeParen: depth -= 1
                    case ASCII.backslash: index += 1
                    default: break
                    }
                    index += 1
                } while depth > 0
            case ASCII.quote:
                index += 1
                var content: [UInt8] = []
                while true {
                    guard index < bytes.count else { return nil }
                    let inner = bytes[index]
                    index += 1
                    if inner == ASCII.quote { break }
                    if inner == ASCII.backslash {
                        guard index < bytes.count else { return nil }
                        content.append(bytes[index])
                        index += 1
                    } else if inner != ASCII.cr && inner != ASCII.lf {
                        content.append(inner)
                    }
                }
                tokens.append(.quoted(content))
            case ASCII.openBracket:
                guard let close = bytes[index...].firstIndex(of: ASCII.closeBracket) else { return nil }
                tokens.append(.literal(Array(bytes[index...close])))
                index = close + 1
            case ASCII.lessThan, ASCII.greaterThan, ASCII.at, ASCII.comma, ASCII.semicolon,
                 ASCII.colon, ASCII.dot:
                tokens.append(.special(byte))
                index += 1
            default:
                guard ASCII.isAtext(byte) else { return nil }
                let start = index
                while index < bytes.count, ASCII.isAtext(bytes[index]) { index += 1 }
                tokens.append(.atom(Array(bytes[start..<index])))
            }
        }
        return tokens
    }
}
