/// The domain part of a mailbox: a domain name or an address literal (RFC 5321 §4.1.2).
///
/// The text is kept exactly as the client wrote it, including a trailing dot, so that
/// the relay policy compares what the client asked for: `user@example.net.` must not be
/// mistaken for a hosted domain, nor sneak past a relay check (open-relay tests).
public enum MailDomain: Sendable, Hashable, CustomStringConvertible {
    /// A domain name: LDH labels, or U-labels with SMTPUTF8 (RFC 6531 §3.3), e.g. `alato.example`.
    case name(String)
    /// An address literal including its brackets, e.g. `[198.51.100.7]` or `[IPv6:2001:db8::1]`
    /// (RFC 5321 §4.1.3).
    case addressLiteral(String)

    /// The text as written by the client.
    public var text: String {
        switch self {
        case .name(let name): return name
        case .addressLiteral(let literal): return literal
        }
    }

    /// The text lowercased (ASCII only) for comparisons. Domain names are case-insensitive
    /// (RFC 5321 §2.4); nothing else is changed: a trailing dot stays, so a policy that
    /// compares `normalized` against its hosted domains refuses `example.net.`.
    public var normalized: String {
        String(decoding: text.utf8.map(ASCII.lowercased), as: UTF8.self)
    }

    /// True when the domain name ends in a dot (not valid RFC 5321 `Domain`, kept so the
    /// policy can refuse it explicitly).
    public var hasTrailingDot: Bool {
        if case .name(let name) = self { return name.hasSuffix(".") }
        return false
    }

    /// True when the domain contains non-ASCII (U-labels), which requires SMTPUTF8.
    public var needsSMTPUTF8: Bool { text.utf8.contains(where: ASCII.isNonASCII) }

    /// The address inside an address literal without brackets and `IPv6:` tag, e.g.
    /// `198.51.100.7` or `2001:db8::1`; nil for domain names.
    public var literalAddress: String? {
        guard case .addressLiteral(let literal) = self else { return nil }
        var inner = literal.dropFirst().dropLast()
        if inner.lowercased().hasPrefix("ipv6:") { inner = inner.dropFirst(5) }
        return String(inner)
    }

    /// The text as written.
    public var description: String { text }
}
