/// An SMTP mailbox, `Local-part "@" ( Domain / address-literal )` (RFC 5321 §4.1.2).
///
/// `localPart` holds the canonical, unquoted content: `"a b"@x` has local part `a b`,
/// and `"joe"@x` equals `joe@x`. Use `string` to write the address back into a path;
/// it quotes when needed.
///
/// Open-relay tricks parse to what they literally are, so the relay policy can judge
/// them by the domain alone:
///
/// | input | localPart | domain |
/// |---|---|---|
/// | `user%example.net@alato.example` | `user%example.net` | `alato.example` |
/// | `"user@example.net"@alato.example` | `user@example.net` | `alato.example` |
/// | `<@alato.example:user@example.net>` | `user` | `example.net` |
/// | `user@example.net.` | `user` | `example.net.` |
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
    /// The local part, unquoted (quoted-pairs resolved).
    public var localPart: String
    /// The domain or address literal.
    public var domain: MailDomain

    /// Creates a mailbox from its parts; no validation (use `init?(parsing:)` for input).
    public init(localPart: String, domain: MailDomain) {
        self.localPart = localPart
        self.domain = domain
    }

    /// Parses `local@domain` without angle brackets, e.g. from configuration or the CLI.
    /// Returns nil when the text is not a valid RFC 5321 mailbox.
    public init?(parsing text: String) {
        guard case .success(let mailbox) = AddressParser.parseMailbox(Array(text.utf8)) else { return nil }
        self = mailbox
    }

    /// True when the local part or the domain contains non-ASCII (RFC 6531 §3.2): such an
    /// address may only be used in a transaction with the SMTPUTF8 parameter.
    public var needsSMTPUTF8: Bool {
        localPart.utf8.contains(where: ASCII.isNonASCII) || domain.needsSMTPUTF8
    }

    /// True when the local part is not a valid `Dot-string` and must be written as a
    /// `Quoted-string` (RFC 5321 §4.1.2).
    public var localPartNeedsQuoting: Bool {
        let bytes = Array(localPart.utf8)
        guard !bytes.isEmpty, bytes.first != ASCII.dot, bytes.last != ASCII.dot else { return true }
        var previousWasDot = false
        for byte in bytes {
            if byte == ASCII.dot {
                if previousWasDot { return true }
                previousWasDot = true
            } else {
                guard ASCII.isAtext(byte) else { return true }
                previousWasDot = false
            }
        }
        return false
    }

    /// The local part as it must be written in a path: a dot-string, or a quoted string
    /// with `"` and `\` escaped (RFC 5321 §4.1.2 `quoted-pairSMTP`).
    public var quotedLocalPart: String {
        guard localPartNeedsQuoting else { return localPart }
        // Scalar by scalar: a `\` or `"` followed by a combining mark is one Character
        // that equals neither, and would go out unescaped.
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in localPart.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out.append("\\") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }

    /// The address as it should be written in a path (without angle brackets).
    public var string: String { quotedLocalPart + "@" + domain.text }

    /// The local part and the lowercased domain: the form used as a lookup key. Local
    /// parts are case-sensitive by RFC 5321 §2.4, so the directory decides about them.
    public var normalizedDomainString: String { quotedLocalPart + "@" + domain.normalized }

    /// Same as `string`.
    public var description: String { string }
}
