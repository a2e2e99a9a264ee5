/// Builds the Received header the server prepends to each message (RFC 5321 §4.4).
///
/// ```
/// Received: from client.example.net (client.example.net [198.51.100.7])
/// 	by mail.alato.example (Portcullis) with ESMTPSA id 4F2A9C
/// 	(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)
/// 	for <user@example.org>; Sat, 30 Nov 2024 01:19:00 +0900
/// ```
///
/// The authenticated account is deliberately not written: it would disclose the login
/// name to every recipient (Postfix does not add it by default either). `ESMTPA`/`ESMTPSA`
/// already records that the client authenticated (RFC 3848). The `for` clause is only
/// written for a single recipient, so Bcc recipients are not revealed (RFC 5321 §7.6).
public struct ReceivedHeader: Sendable, Hashable {
    /// The EHLO/HELO argument.
    public var heloName: String
    /// The client's IP address, e.g. `198.51.100.7` or `2001:db8::1`.
    public var clientAddress: String
    /// The client's verified reverse-DNS name; nil writes `unknown`.
    public var reverseDNS: String?
    /// The server's hostname.
    public var hostname: String
    /// The `with` keyword.
    public var protocolKeyword: ReceivedProtocol
    /// The queue ID, written as `id`.
    public var queueID: String
    /// TLS parameters, written as a comment.
    public var tls: TLSInfo?
    /// The recipient for the `for` clause, if any.
    public var recipient: ForwardPath?
    /// The account that authenticated (submission), written as a comment like Postfix's
    /// `smtpd_sasl_authenticated_header`, so abuse reports can be traced to an account.
    public var authenticatedAccount: String?
    /// When the message was received.
    public var date: RFC5322Date

    /// Creates the header from its parts.
    public init(heloName: String, clientAddress: String, reverseDNS: String? = nil, hostname: String,
                protocolKeyword: ReceivedProtocol, queueID: String, tls: TLSInfo?,
                recipient: ForwardPath?, authenticatedAccount: String? = nil, date: RFC5322Date) {
        self.heloName = heloName
        self.clientAddress = clientAddress
        self.reverseDNS = reverseDNS
        self.hostname = hostname
        self.protocolKeyword = protocolKeyword
        self.queueID = queueID
        self.tls = tls
        self.recipient = recipient
        self.authenticatedAccount = authenticatedAccount
        self.date = date
    }

    /// Creates the header for an envelope; `for` is set when there is exactly one recipient.
    public init(envelope: Envelope, clientAddress: String, reverseDNS: String? = nil, hostname: String,
                queueID: String, date: RFC5322Date) {
        self.init(heloName: envelope.heloName, clientAddress: clientAddress, reverseDNS: reverseDNS,
                  hostname: hostname, protocolKeyword: envelope.receivedProtocol, queueID: queueID,
                  tls: envelope.tls,
                  recipient: envelope.recipients.count == 1 ? envelope.recipients[0].path : nil,
                  authenticatedAccount: envelope.authenticatedAccount,
                  date: date)
    }

    /// The header field, folded with CRLF TAB, ending in CRLF.
    public var rendered: String {
        // RFC 5321 §4.4: TCP-info = address-literal / ( Domain FWS address-literal )
        let literal = clientAddress.contains(":") ? "[IPv6:\(clean(clientAddress))]" : "[\(clean(clientAddress))]"
        var lines = [
            "Received: from \(clean(heloName, allowBrackets: true)) (\(clean(reverseDNS ?? "unknown")) \(literal))",
            "by \(clean(hostname)) (Portcullis) with \(protocolKeyword.rawValue) id \(MessageID.dotAtomText(queueID))",
        ]
        if let tls {
            // The cipher may be unknown to the TLS library binding; then only the version.
            let cipher = tls.cipher.isEmpty ? "" : " cipher=\(clean(tls.cipher))"
            lines.append("(version=\(clean(tls.version))\(cipher))")
        }
        if let authenticatedAccount {
            lines.append("(Authenticated sender: \(clean(authenticatedAccount)))")
        }
        if let recipient {
            lines.append("for \(cleanPath(recipient.description))")
        }
        return lines.joined(separator: "\r\n\t") + "; \(date)\r\n"
    }

    /// Keeps only characters that cannot break the header structure: no controls, no
    /// spaces, no comment delimiters, no `;`. Brackets only where an address literal may
    /// stand (the HELO name), so nothing else can imitate the TCP-info literal.
    private func clean(_ text: String, allowBrackets: Bool = false) -> String {
        var forbidden: Set<UInt8> = [ASCII.openParen, ASCII.closeParen, ASCII.backslash, ASCII.semicolon]
        if !allowBrackets { forbidden.formUnion([ASCII.openBracket, ASCII.closeBracket]) }
        let bytes = text.utf8.prefix(SMTPLimits.domain).map { byte -> UInt8 in
            if byte >= 0x80 { return byte }
            return ASCII.isVisible(byte) && !forbidden.contains(byte) ? byte : UInt8(ascii: "?")
        }
        let cleaned = String(decoding: bytes, as: UTF8.self)
        return cleaned.isEmpty ? "unknown" : cleaned
    }

    /// A path keeps its quotes and brackets but loses controls and `;` (which would end
    /// the clause list early).
    private func cleanPath(_ text: String) -> String {
        String(decoding: text.utf8.map { byte in
            (byte >= 0x80 || (byte >= 0x20 && byte != 0x7F && byte != ASCII.semicolon)) ? byte : UInt8(ascii: "?")
        }, as: UTF8.self)
    }
}
