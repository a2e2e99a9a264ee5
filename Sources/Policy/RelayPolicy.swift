/// The relay rule of the port-25 service, as a pure function of the client
/// address and the recipient (Postfix's `permit_mynetworks,
/// reject_unauth_destination` in one place).
///
/// ```
/// C: RCPT TO:<user@example.net>          (client 198.51.100.9, outside the access networks)
/// S: 554 5.7.1 Relay access denied      ← .denied
/// C: RCPT TO:<user@example.net>          (client 203.0.113.9, on "alato-express")
/// S: 250 2.1.5 OK                        ← .relay
/// ```
public enum RelayPolicy {
    /// Decides one recipient.
    ///
    /// - Parameters:
    ///   - client: the peer address; a v4-mapped IPv6 address is judged as IPv4.
    ///   - recipientLocalPart: the local part as the client wrote it, quotes included.
    ///   - recipientDomain: the domain as the client wrote it; may be an address
    ///     literal (`[198.51.100.7]`) or end in a dot.
    ///   - isHostedDomain: asked with the domain in ASCII lowercase; hosted
    ///     names must be stored in lowercase. Never asked for address literals,
    ///     names ending in a dot or with non-ASCII letters.
    ///   - policy: the OP25B policy whose access networks may relay.
    ///
    /// Rules, first match wins:
    /// 1. Client on any access network (OP25B on or off): ``RelayDecision/relay``
    ///    (a hosted domain gives ``RelayDecision/local``).
    /// 2. Local part containing `%`, `!` or `@` (quoted or not): ``RelayDecision/denied``.
    ///    These are the old routing forms (`user%example.net@`, `host!user@`,
    ///    `"user@example.net"@`, RFC 5321 §3.6.1, §2.3.11) that a
    ///    downstream mailer might forward: open-relay tricks for an outsider.
    /// 3. Hosted domain (ASCII case-insensitive, otherwise exact): ``RelayDecision/local``.
    ///    `example.net.` is not `example.net`, and an address literal is never hosted.
    /// 4. Otherwise ``RelayDecision/denied``.
    public static func decide(
        client: IPAddress,
        recipientLocalPart: String,
        recipientDomain: String,
        isHostedDomain: (String) -> Bool,
        policy: OP25BPolicy
    ) -> RelayDecision {
        let hosted = isHosted(recipientDomain, isHostedDomain)
        if policy.accessNetwork(containing: client) != nil {
            return hosted ? .local : .relay
        }
        if recipientLocalPart.unicodeScalars.contains(where: { $0 == "%" || $0 == "!" || $0 == "@" }) {
            return .denied
        }
        return hosted ? .local : .denied
    }

    /// The domain as the hosted-domain lookup should see it (ASCII lowercase), or nil
    /// when it can never be hosted: an address literal, a name ending in a dot,
    /// the empty name, non-ASCII text. A caller that looks the domain up
    /// asynchronously before calling ``decide(client:recipientLocalPart:recipientDomain:isHostedDomain:policy:)``
    /// should look up this key, so both agree on what "hosted" means.
    public static func hostedDomainKey(_ domain: String) -> String? {
        // Address literals (RFC 5321 §4.1.3) and the absolute form with a
        // trailing dot are not names we host; nor is the empty domain.
        guard let first = domain.utf8.first, first != UInt8(ascii: "["),
              domain.utf8.last != UInt8(ascii: ".")
        else { return nil }
        // Lowercase ASCII only: Unicode case mapping would let "\u{212A}" (KELVIN SIGN)
        // match "k". Internationalised names reach us as A-labels or not at all.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(domain.utf8.count)
        for byte in domain.utf8 {
            guard byte < 0x80 else { return nil }
            bytes.append((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isHosted(_ domain: String, _ isHostedDomain: (String) -> Bool) -> Bool {
        guard let key = hostedDomainKey(domain) else { return false }
        return isHostedDomain(key)
    }
}
