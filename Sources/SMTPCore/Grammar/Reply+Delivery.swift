// The replies the delivery engine records for a recipient when no server gave one (DNS,
// connections, local mailboxes, the queue's own limits) or when it refuses to send a
// message itself. They appear in `portcullis queue list` and in DSNs as `Status` and
// `Diagnostic-Code` (RFC 3464 §2.3.4, §2.3.6); never on a client's connection.

extension Reply {
    // MARK: - Success

    /// `250 2.0.0 delivered to maildir` (or `forward`): written to the local mailboxes.
    public static func deliveredLocally(to target: String) -> Reply {
        Reply(code: 250, enhanced: .success, "delivered to \(target)")
    }

    // MARK: - Transient: try again later

    /// `451 4.0.0 <text>`: a transient failure with nothing more specific to say
    /// (RFC 3463 §3.1 X.0.0).
    public static func undescribedTransientFailure(_ text: String) -> Reply {
        Reply(code: 451, enhanced: .otherTransient, text)
    }

    /// `451 4.3.0 directory lookup failed: …`. A failing directory means 4xx, never 5xx.
    public static func directoryLookupFailed(_ detail: String) -> Reply {
        Reply(code: 451, enhanced: .mailSystemTransient, "directory lookup failed: \(detail)")
    }

    /// `451 4.3.0 forwarding to … failed: …`: the copy to an alias's outside targets could
    /// not be queued.
    public static func forwardingFailed(targets: String, detail: String) -> Reply {
        Reply(code: 451, enhanced: .mailSystemTransient, "forwarding to \(targets) failed: \(detail)")
    }

    /// `451 4.3.0` / `451 4.3.1 local delivery to … failed: …`: the Maildir write failed;
    /// never a bounce, the operator can fix a disk (RFC 3463 §3.4 X.3.1 mail system full).
    public static func localDeliveryFailed(mailbox: String, detail: String, storageFull: Bool) -> Reply {
        Reply(code: 451, enhanced: storageFull ? .mailSystemFull : .mailSystemTransient,
              "local delivery to \(mailbox) failed: \(detail)")
    }

    /// `451 4.4.1 <text>`: the next hop did not answer (RFC 3463 §3.5 X.4.1).
    public static func noAnswer(_ text: String) -> Reply {
        Reply(code: 451, enhanced: .noAnswerFromHost, text)
    }

    /// `451 4.4.2 <text>`: the connection broke during the session (RFC 3463 §3.5 X.4.2).
    public static func connectionBroken(_ text: String) -> Reply {
        Reply(code: 451, enhanced: .badConnection, text)
    }

    /// `451 4.7.0 <text>`: TLS with the next hop failed (RFC 3463 §3.8 X.7.0).
    public static func tlsFailed(_ text: String) -> Reply {
        Reply(code: 451, enhanced: .securityTransient, text)
    }

    /// `451 4.4.3 MX lookup for … failed: …`: DNS trouble (RFC 3463 §3.5 X.4.3).
    public static func mailExchangerLookupFailed(domain: String, detail: String) -> Reply {
        Reply(code: 451, enhanced: .directoryServerFailure, "MX lookup for \(domain) failed: \(detail)")
    }

    /// `451 4.4.4 no mail exchanger could be tried` (RFC 3463 §3.5 X.4.4 unable to route).
    public static let noMailExchangerTried = Reply(
        code: 451, enhanced: .unableToRoute, "no mail exchanger could be tried")

    /// `451 4.4.4 cannot resolve <host>: …`: a mail exchanger's address lookup failed.
    public static func mailExchangerUnresolved(host: String, detail: String) -> Reply {
        Reply(code: 451, enhanced: .unableToRoute, "cannot resolve \(host): \(detail)")
    }

    /// `451 4.4.7 delivery time expired; last error: <last reply>`: the queue lifetime ran
    /// out (RFC 3463 §3.5 X.4.7); recorded as a failure, the code says it was never permanent.
    /// The last reply's code and text stay in the text for the DSN's `Diagnostic-Code`.
    public static func deliveryTimeExpired(lastReply: Reply?) -> Reply {
        Reply(code: 451, enhanced: .deliveryTimeExpired,
              "delivery time expired; last error: \(lastReply?.description ?? "no attempt succeeded")")
    }

    // MARK: - Permanent: bounce

    /// `554 5.0.0 <text>`: a permanent failure with nothing more specific to say
    /// (RFC 3463 §3.1 X.0.0).
    public static func undescribedPermanentFailure(_ text: String) -> Reply {
        Reply(code: 554, enhanced: .otherPermanent, text)
    }

    /// `550 5.1.1 no such user here: …` (RFC 3463 §3.2 X.1.1).
    public static func noSuchLocalUser(_ recipient: String) -> Reply {
        Reply(code: 550, enhanced: .badDestinationMailbox, "no such user here: \(recipient)")
    }

    /// `550 5.1.2 domain … does not exist (…)`: NXDOMAIN for the recipient's domain
    /// (RFC 3463 §3.2 X.1.2).
    public static func domainDoesNotExist(_ domain: String, detail: String) -> Reply {
        Reply(code: 550, enhanced: .badDestinationSystem, "domain \(domain) does not exist (\(detail))")
    }

    /// `553 5.1.3 bad recipient address syntax: …`: a recipient without a domain to route
    /// to, `<Postmaster>` as received (RFC 3463 §3.2 X.1.3).
    public static func recipientWithoutDomain(_ path: String) -> Reply {
        Reply(code: 553, enhanced: .badDestinationSyntax, "bad recipient address syntax: \(path)")
    }

    /// `556 5.1.10 domain … accepts no mail (null MX, RFC 7505)` (RFC 7505 §4.2).
    public static func nullMX(_ domain: String) -> Reply {
        Reply(code: 556, enhanced: .nullMX, "domain \(domain) accepts no mail (null MX, RFC 7505)")
    }

    /// `550 5.4.4 no address for any mail exchanger: …`: every exchanger's name is NXDOMAIN
    /// or has no address; waiting changes nothing (RFC 3463 §3.5 X.4.4).
    public static func noMailExchangerAddress(_ detail: String) -> Reply {
        Reply(code: 550, enhanced: .unableToRoute.permanent, "no address for any mail exchanger: \(detail)")
    }

    /// `554 5.4.6 mail loop detected for <mailbox>`: the message already passed through
    /// it (RFC 3463 §3.5 X.4.6; RFC 5321 §6.3).
    public static func mailLoop(mailbox: String) -> Reply {
        Reply(code: 554, enhanced: .routingLoop, "mail loop detected for \(mailbox)")
    }

    /// `554 5.4.6 mail loop detected: too many Received headers` (RFC 5321 §6.3).
    public static let tooManyReceivedHeaders = Reply(
        code: 554, enhanced: .routingLoop, "mail loop detected: too many Received headers")

    /// `552 5.3.4 message of N octets exceeds the L octet limit of <host>`: the next hop's
    /// SIZE (RFC 1870 §6; RFC 3463 §3.4 X.3.4).
    public static func messageTooBigForNextHop(size: Int, limit: Int, host: String) -> Reply {
        Reply(code: 552, enhanced: .messageTooBigForSystem, "message of \(size) octets exceeds the \(limit) octet limit of \(host)")
    }

    /// `553 5.6.7 message needs SMTPUTF8 but <host> does not offer it` (RFC 6531 §3.7.4.1).
    public static func nextHopLacksSMTPUTF8(_ host: String) -> Reply {
        Reply(code: 553, enhanced: .nonASCIIAddressNotPermitted, "message needs SMTPUTF8 but \(host) does not offer it")
    }

    /// `554 5.6.3 8-bit message but <host> does not offer 8BITMIME; …`: no downconversion
    /// (RFC 6152 §3; RFC 3463 §3.7 X.6.3).
    public static func nextHopLacks8BitMIME(_ host: String) -> Reply {
        Reply(code: 554, enhanced: .conversionNotSupported,
              "8-bit message but \(host) does not offer 8BITMIME; conversion is not supported")
    }

    /// `554 5.6.3 BINARYMIME content cannot be relayed`: BINARYMIME needs BDAT (RFC 3030 §3),
    /// which the client does not send.
    public static let binaryMIMENotRelayed = Reply(
        code: 554, enhanced: .conversionNotSupported, "BINARYMIME content cannot be relayed")
}
