// The table of every reply the server sends. Reply codes are named here and
// nowhere else. Enhanced codes come from RFC 3463 and the IANA registry (RFC 5248).

extension Reply {
    // MARK: - 2yz positive completion

    /// `220 <hostname> ESMTP Portcullis`: the greeting (RFC 5321 §4.3.1). RFC 2034 §3
    /// exempts the greeting from enhanced codes.
    public static func serviceReady(_ hostname: String) -> Reply {
        Reply(code: 220, "\(hostname) ESMTP Portcullis")
    }

    /// `221 2.0.0 Bye`: answer to QUIT; the server then closes (RFC 5321 §4.1.1.10).
    public static let closing = Reply(code: 221, enhanced: .success, "Bye")

    /// `250 2.0.0 Ok`: generic success (NOOP, RSET).
    public static let ok = Reply(code: 250, enhanced: .success, "Ok")

    /// `250 2.1.0 Sender ok` (RFC 3463 §3.2 X.1.0: other address status).
    public static let senderOk = Reply(code: 250, enhanced: .otherAddressStatus, "Sender ok")

    /// `250 2.1.5 Recipient ok` (RFC 3463 X.1.5: destination address valid).
    public static let recipientOk = Reply(code: 250, enhanced: .destinationAddressValid, "Recipient ok")

    /// `250 <hostname>`: answer to HELO (RFC 5321 §4.1.1.1). No enhanced code: RFC 2034 §3.
    public static func helo(_ hostname: String) -> Reply {
        Reply(code: 250, hostname)
    }

    /// The multi-line EHLO answer: the greeting line, then one extension keyword per line
    /// (RFC 5321 §4.1.1.1). No enhanced code: RFC 2034 §3.
    public static func ehlo(_ hostname: String, keywords: [String]) -> Reply {
        Reply(code: 250, lines: [hostname] + keywords)
    }

    /// `250 2.0.0 Ok: queued as <id>`: the message is committed to stable storage
    /// (RFC 5321 §4.1.1.4, §6.1: only after the message is safe).
    public static func queued(_ queueID: String) -> Reply {
        Reply(code: 250, enhanced: .success, "Ok: queued as \(queueID)")
    }

    /// `250 2.0.0 <n> octets received`: a non-final BDAT chunk was received (RFC 3030 §2).
    public static func chunkReceived(_ size: Int) -> Reply {
        Reply(code: 250, enhanced: .success, "\(size) octets received")
    }

    /// `252 2.5.0 ...`: VRFY answer that reveals nothing (RFC 5321 §3.5.3, §7.3:
    /// verification is an address-harvesting tool).
    public static let vrfyCannot = Reply(
        code: 252, enhanced: .protocolSuccess,
        "Cannot VRFY user, but will accept message and attempt delivery")

    /// `214 2.0.0 ...`: HELP (RFC 5321 §4.1.1.8).
    public static let help = Reply(
        code: 214, enhanced: .success,
        lines: ["Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH HELP",
                "See RFC 5321"])

    /// `220 2.0.0 Ready to start TLS` (RFC 3207 §4).
    public static let readyToStartTLS = Reply(code: 220, enhanced: .success, "Ready to start TLS")

    /// `235 2.7.0 Authentication successful` (RFC 4954 §6).
    public static let authSucceeded = Reply(code: 235, enhanced: .securitySuccess, "Authentication successful")

    // MARK: - 3yz intermediate

    /// `354 End data with <CR><LF>.<CR><LF>` (RFC 5321 §4.1.1.4).
    public static let startData = Reply(code: 354, "End data with <CR><LF>.<CR><LF>")

    /// `334 <base64>`: a SASL server challenge (RFC 4954 §4). An empty challenge is `334 `.
    public static func authChallenge(_ base64: String) -> Reply {
        Reply(code: 334, base64)
    }

    /// `334 VXNlcm5hbWU6` ("Username:"), the first LOGIN prompt (draft-murchison-sasl-login §2).
    public static let authUsernamePrompt = Reply(code: 334, "VXNlcm5hbWU6")

    /// `334 UGFzc3dvcmQ6` ("Password:"), the second LOGIN prompt.
    public static let authPasswordPrompt = Reply(code: 334, "UGFzc3dvcmQ6")

    // MARK: - 4yz transient failure

    /// `421 4.3.0 Service not available, closing transmission channel` (RFC 5321 §4.2.3).
    public static let serviceNotAvailable = Reply(
        code: 421, enhanced: .mailSystemTransient, "Service not available, closing transmission channel")

    /// `421 4.3.2 Shutting down`: the server is stopping (RFC 3463 §3.4: system not accepting
    /// network messages); the client retries later.
    public static let shuttingDown = Reply(
        code: 421, enhanced: .systemNotAcceptingMessages, "Server shutting down, try again later")

    /// `421 4.7.0 Too many connections`: a connection limit is reached (RFC 5321 §3.1 allows 421
    /// at connection time).
    public static let tooManyConnections = Reply(
        code: 421, enhanced: .securityTransient, "Too many connections, try again later")

    /// `421 4.7.0 Too many errors`: the client exceeded the error budget; the server closes.
    public static let tooManyErrors = Reply(
        code: 421, enhanced: .securityTransient, "Too many errors, closing transmission channel")

    /// `421 4.4.2 Timeout`: the client was idle past the RFC 5321 §4.5.3.2 timeouts
    /// (X.4.2 "bad connection", RFC 3463 §3.5).
    public static let timeout = Reply(
        code: 421, enhanced: .badConnection, "Timeout exceeded, closing transmission channel")

    /// `451 4.3.0 Local error in processing (session <id>)` (RFC 5321 §4.2.3): an error with
    /// no reply of its own. The session ID is in the text and in the log line, so the client's
    /// report can be matched with the log.
    public static func localError(sessionID: String) -> Reply {
        Reply(code: 451, enhanced: .mailSystemTransient, "Local error in processing (session \(sessionID))")
    }

    /// `451 4.3.2 Not accepting messages`: the queue is closing (RFC 3463 §3.4 X.3.2: system
    /// not accepting network messages).
    public static let notAcceptingMessages = Reply(
        code: 451, enhanced: .systemNotAcceptingMessages, "Not accepting messages now, try again later")

    /// `451 4.3.0 Cannot store the message`: the queue could not write or read it (RFC 3463
    /// §3.4 X.3.0, other mail system status); nothing was accepted.
    public static let queueFailure = Reply(
        code: 451, enhanced: .mailSystemTransient, "Cannot store the message now, try again later")

    /// `451 4.3.5 System incorrectly configured` (RFC 3463 §3.4 X.3.5): a setting or a stored
    /// entry is invalid; the operator can fix it, so the client retries.
    public static let systemMisconfigured = Reply(
        code: 451, enhanced: .systemIncorrectlyConfigured, "System incorrectly configured, try again later")

    /// `451 4.4.3 Directory server unavailable` (RFC 3463 §3.5 X.4.3, directory server
    /// failure): the account directory cannot be read. Never 5xx: the address may well exist.
    public static let directoryUnavailable = Reply(
        code: 451, enhanced: .directoryServerFailure, "Directory server unavailable, try again later")

    /// `452 4.3.1 Insufficient system storage` (RFC 5321 §4.2.3, RFC 3463 X.3.1).
    public static let insufficientStorage = Reply(
        code: 452, enhanced: .mailSystemFull, "Insufficient system storage")

    /// `452 4.5.3 Too many recipients` (RFC 5321 §4.5.3.1.10: 452 tells the client to
    /// send the remaining recipients in another transaction; RFC 3463 X.5.3).
    public static let tooManyRecipients = Reply(code: 452, enhanced: .tooManyRecipients, "Too many recipients")

    /// `454 4.7.0 TLS not available due to temporary reason` (RFC 3207 §4).
    public static let tlsNotAvailable = Reply(
        code: 454, enhanced: .securityTransient, "TLS not available due to temporary reason")

    /// `454 4.7.0 Temporary authentication failure` (RFC 4954 §6).
    public static let authTemporaryFailure = Reply(
        code: 454, enhanced: .securityTransient, "Temporary authentication failure")

    // MARK: - 4yz transient failure: abuse controls

    /// `421 4.7.0 ...`: the client's address is blocked for a while after too many failed
    /// logins; said at connection time, then the server closes (RFC 5321 §3.1 allows 421 at
    /// connection time; RFC 3463 X.7.0 other security or policy status).
    public static func clientBlocked(retryAfterSeconds: Int) -> Reply {
        Reply(code: 421, enhanced: .securityTransient,
              "Too many failed logins from your address; try again in \(describeDelay(retryAfterSeconds))")
    }

    /// `421 4.7.0 ...`: the client opened more connections per minute than allowed.
    public static func connectionRateExceeded(limit: Int, retryAfterSeconds: Int) -> Reply {
        Reply(code: 421, enhanced: .securityTransient,
              "Connection rate limit: \(limit) connections per minute from your address; try again in \(describeDelay(retryAfterSeconds))")
    }

    /// `450 4.7.1 ...`: the account (or relay client) sent its messages-per-hour allowance. 450
    /// so the client keeps the message and retries (RFC 5321 §4.2.5); X.7.1 "delivery not
    /// authorized" (RFC 3463 §3.8), the code other providers use for rate limits.
    public static func messageRateExceeded(limit: Int, retryAfterSeconds: Int) -> Reply {
        Reply(code: 450, enhanced: .deliveryNotAuthorized.transient,
              "Rate limit: \(limit) messages per hour; try again in \(describeDelay(retryAfterSeconds))")
    }

    /// `452 4.5.3 ...`: the daily recipient allowance is used up. RFC 5321 §4.5.3.1.10: 452
    /// tells the client to try the remaining recipients later; RFC 3463 X.5.3 too many recipients.
    public static func recipientRateExceeded(limit: Int, retryAfterSeconds: Int) -> Reply {
        Reply(code: 452, enhanced: .tooManyRecipients,
              "Rate limit: \(limit) recipients per day; try again in \(describeDelay(retryAfterSeconds))")
    }

    /// "5 minutes", "2 hours": a wait rounded up to what a user reads (at least one minute,
    /// so a client never hears "0 minutes").
    static func describeDelay(_ seconds: Int) -> String {
        let minutes = max(1, (seconds + 59) / 60)
        if minutes < 120 { return minutes == 1 ? "1 minute" : "\(minutes) minutes" }
        let hours = (minutes + 59) / 60
        return "\(hours) hours"
    }

    // MARK: - 5yz permanent failure: syntax and sequence

    /// `500 5.5.2 Syntax error` (RFC 5321 §4.2.2 500; RFC 3463 X.5.2).
    public static let syntaxError = Reply(code: 500, enhanced: .syntaxError, "Syntax error")

    /// `500 5.5.2 Line too long`: a command line over 512 octets (RFC 5321 §4.5.3.1.4).
    public static let lineTooLong = Reply(code: 500, enhanced: .syntaxError, "Line too long")

    /// `500 5.5.2 Bare CR or LF in command, use CRLF`: RFC 5321 §2.3.8 allows only CRLF
    /// as a line ending.
    public static let bareLineEndingInCommand = Reply(
        code: 500, enhanced: .syntaxError, "Bare CR or LF received, use CRLF")

    /// `500 5.5.2 Invalid UTF-8 in command`: command bytes must be ASCII or, with
    /// SMTPUTF8, well-formed UTF-8 (RFC 6531 §3.3).
    public static let invalidUTF8 = Reply(code: 500, enhanced: .syntaxError, "Invalid UTF-8 in command")

    /// `500 5.5.1 Command unrecognized` (RFC 5321 §4.2.4; RFC 3463 X.5.1 invalid command).
    public static let unrecognizedCommand = Reply(code: 500, enhanced: .invalidCommand, "Command unrecognized")

    /// `501 5.5.4 Syntax error in parameters or arguments` (RFC 5321 §4.2.2; X.5.4).
    public static let parameterSyntax = Reply(
        code: 501, enhanced: .invalidCommandArguments, "Syntax error in parameters or arguments")

    /// `501 5.5.4 Duplicate parameter`: a MAIL/RCPT parameter given twice
    /// (RFC 5321 §4.1.2 does not allow repeating an esmtp-keyword).
    public static let duplicateParameter = Reply(code: 501, enhanced: .invalidCommandArguments, "Duplicate parameter")

    /// `501 5.1.7 Bad sender address syntax` (RFC 3463 X.1.7).
    public static let badSenderSyntax = Reply(code: 501, enhanced: .badSenderSyntax, "Bad sender address syntax")

    /// `501 5.1.3 Bad recipient address syntax` (RFC 3463 X.1.3).
    public static let badRecipientSyntax = Reply(
        code: 501, enhanced: .badDestinationSyntax, "Bad recipient address syntax")

    /// `501 5.0.0 Authentication cancelled`: the client answered a 334 with `*` (RFC 4954 §4).
    public static let authCancelled = Reply(code: 501, enhanced: .otherPermanent, "Authentication cancelled")

    /// `501 5.5.2 Invalid base64 in SASL response`: RFC 4954 §4 requires 501 for
    /// responses that cannot be base64-decoded.
    public static let authInvalidResponse = Reply(
        code: 501, enhanced: .syntaxError, "Invalid base64 in authentication response")

    /// `502 5.5.1 Command not implemented` (RFC 5321 §4.2.4).
    public static let notImplemented = Reply(code: 502, enhanced: .invalidCommand, "Command not implemented")

    /// `503 5.5.1 Bad sequence of commands` (RFC 5321 §4.2.4, §4.1.4).
    public static let badSequence = Reply(code: 503, enhanced: .invalidCommand, "Bad sequence of commands")

    /// `503 5.5.1 Send HELO/EHLO first` (RFC 5321 §4.1.4: a session starts with EHLO).
    public static let heloFirst = badSequence.with(text: "Send HELO/EHLO first")

    /// `503 5.5.1 Sender already specified` (RFC 5321 §4.1.4: no nested MAIL).
    public static let nestedMail = badSequence.with(text: "Sender already specified")

    /// `503 5.5.1 Need MAIL command` (RFC 5321 §4.1.4).
    public static let needMail = badSequence.with(text: "Need MAIL command")

    /// `503 5.5.1 Already authenticated` (RFC 4954 §4: AUTH is not allowed after success).
    public static let alreadyAuthenticated = badSequence.with(text: "Already authenticated")

    /// `503 5.5.1 AUTH not allowed during a mail transaction` (RFC 4954 §4).
    public static let authInTransaction = badSequence.with(text: "AUTH not allowed during a mail transaction")

    /// `503 5.5.1 TLS already active` (RFC 3207 §4: STARTTLS only once).
    public static let alreadyTLS = badSequence.with(text: "TLS already active")

    /// `503 5.5.1 DATA and BDAT cannot be mixed` (RFC 3030 §2).
    public static let dataBDATMixed = badSequence.with(text: "DATA and BDAT cannot be mixed in one transaction")

    /// `504 5.5.4 Command parameter not implemented` (RFC 5321 §4.2.4).
    public static let parameterNotImplemented = Reply(
        code: 504, enhanced: .invalidCommandArguments, "Command parameter not implemented")

    /// `504 5.5.4 Unrecognized authentication type` (RFC 4954 §4, §6).
    public static let authMechanismUnknown = parameterNotImplemented.with(text: "Unrecognized authentication type")

    /// `555 5.5.4 MAIL FROM/RCPT TO parameters not recognized or not implemented`
    /// (RFC 5321 §4.1.1.11, §4.2.3).
    public static let parametersNotRecognized = Reply(
        code: 555, enhanced: .invalidCommandArguments, "MAIL FROM/RCPT TO parameters not recognized or not implemented")

    // MARK: - 5yz permanent failure: security and policy

    /// `530 5.7.0 Authentication required` (RFC 4954 §6).
    public static let authRequired = Reply(code: 530, enhanced: .securityPermanent, "Authentication required")

    /// Another name for `authRequired`.
    public static let authenticationRequired = authRequired

    /// `530 5.7.0 Must issue a STARTTLS command first` (RFC 3207 §4).
    public static let encryptionRequired = Reply(
        code: 530, enhanced: .securityPermanent, "Must issue a STARTTLS command first")

    /// `538 5.7.11 Encryption required for requested authentication mechanism`
    /// (RFC 4954 §6; RFC 8314 §3: submission credentials only over TLS).
    public static let encryptionRequiredForAuth = Reply(
        code: 538, enhanced: .encryptionRequiredForAuth, "Encryption required for requested authentication mechanism")

    /// `535 5.7.8 Authentication credentials invalid` (RFC 4954 §6).
    public static let authFailed = Reply(
        code: 535, enhanced: .authenticationCredentialsInvalid, "Authentication credentials invalid")

    /// `550 5.1.1 Mailbox unavailable` (RFC 5321 §4.2.3; RFC 3463 X.1.1 bad destination mailbox).
    public static let mailboxUnavailable = Reply(
        code: 550, enhanced: .badDestinationMailbox, "Recipient address rejected: mailbox unavailable")

    /// `550 5.7.1 Account suspended, contact support`: the account's sending was held as
    /// probably compromised; permanent until an operator releases it
    /// (RFC 3463 X.7.1 delivery not authorized).
    public static let accountSuspended = Reply(
        code: 550, enhanced: .deliveryNotAuthorized, "Account suspended for unusual sending, contact support")

    /// `554 5.7.1 Relay access denied` (RFC 5321 §3.6.2, §7.1; RFC 3463 X.7.1).
    public static let relayDenied = Reply(code: 554, enhanced: .deliveryNotAuthorized, "Relay access denied")

    /// `553 5.7.1 Sender address not owned by the authenticated account`: submission
    /// only lets an account send as its own addresses (RFC 6409 §6.1; RFC 3463 X.7.1).
    ///
    /// - Parameter allowed: addresses the account may use; listed to help the user fix
    ///   their mail client. Empty omits the list.
    public static func senderNotOwned(allowed: [String]) -> Reply {
        var text = "Sender address rejected: not owned by the authenticated account"
        if !allowed.isEmpty {
            text += "; allowed: " + allowed.joined(separator: ", ")
        }
        return Reply(code: 553, enhanced: .deliveryNotAuthorized, text)
    }

    /// `553 5.7.1 ...`: as `senderNotOwned(allowed:)` for an account with one address.
    public static func senderNotOwned(allowed: String) -> Reply {
        senderNotOwned(allowed: [allowed])
    }

    /// `550 5.6.0 Message has no From: header`: RFC 5322 §3.6 requires one, and submission
    /// cannot check the author without it (RFC 6409 §8).
    public static let missingFrom = Reply(
        code: 550, enhanced: .otherMediaError, "Message has no valid From: header")

    /// `553 5.7.1 Null sender not allowed`: a session under the submission rules (submission,
    /// or port 25 after AUTH) has no reason to send bounces (RFC 6409 §6.1 lets the MSA
    /// enforce the sender).
    public static let nullSenderNotAllowed = Reply(
        code: 553, enhanced: .deliveryNotAuthorized, "Null sender not allowed for authenticated mail")

    /// `553 5.6.7 SMTPUTF8 required`: a non-ASCII address without the SMTPUTF8 parameter
    /// (RFC 6531 §3.4; RFC 6531 §3.6 registers X.6.7).
    public static let smtputf8Required = Reply(
        code: 553, enhanced: .nonASCIIAddressNotPermitted, "Non-ASCII address requires the SMTPUTF8 parameter")

    /// `552 5.3.4 Message size exceeds fixed limit` (RFC 1870 §6.1; RFC 3463 X.3.4).
    public static let messageTooBig = Reply(code: 552, enhanced: .messageTooBigForSystem, "Message size exceeds fixed limit")

    /// `554 5.6.0 Bare CR or LF not allowed, use CRLF`: RFC 5321 §2.3.8 allows only CRLF
    /// as a line ending. Refusing bare CR/LF in DATA is the SMTP-smuggling defence. RFC 3463
    /// has no dedicated code, so X.6.0 (other media error) is used.
    public static let bareLineFeed = Reply(
        code: 554, enhanced: .otherMediaError, "Bare CR or LF not allowed, use CRLF")

    /// `554 5.6.0 NUL octets not allowed in a message`: RFC 5322 §2.3 and §3.5 build a
    /// message from characters 1-127 (NUL only in the obsolete syntax a sender must not
    /// generate, §4.1), and 8BITMIME data excludes NUL too (RFC 6152 §2, RFC 2045 §2.8). A
    /// NUL is refused rather than passed on: Maildir readers and downstream servers treat
    /// it inconsistently (C strings end at it). RFC 3463 X.6.0: other media error.
    public static let nulInMessage = Reply(
        code: 554, enhanced: .otherMediaError, "NUL octets not allowed in a message")

    /// `554 5.5.0 Protocol error: content sent before the 354`: on an unauthenticated
    /// session, bytes followed the DATA line before the server's 354. RFC 2920 §3.1 makes
    /// DATA the last command of a pipelined group and RFC 5321 §4.1.1.4 sends the content
    /// only after the 354; a client that does not wait is a spam engine or a smuggling
    /// attempt (Postfix's `smtpd_forbid_unauth_pipelining`). The server closes after it.
    /// RFC 3463 X.5.0: other protocol status.
    public static let pipeliningViolation = Reply(
        code: 554, enhanced: .protocolPermanent, "Protocol error: message content sent before the 354 reply")

    /// `554 5.7.0 PROXY header not accepted from this address`: a PROXY protocol header
    /// (HAProxy's spec §2.1) from a client that is not in `[limits] trusted_proxies`, on a
    /// listener with `proxy_protocol = true`. The address it claims is not believed; the
    /// server closes after it. RFC 3463 X.7.0: other security status.
    public static let proxyHeaderNotTrusted = Reply(
        code: 554, enhanced: .securityPermanent, "PROXY header not accepted from this address")

    /// `554 5.5.0 Protocol error: talking before the greeting`: RFC 5321 §3.1 and §4.3.1
    /// have the client wait for the 220 greeting before it sends anything; during
    /// `[smtp] greet_pause` a client that talks first is refused and disconnected, as
    /// Postfix's postscreen pregreet test does (§3.1 allows a 554 in place of the 220).
    /// RFC 3463 X.5.0: other protocol status.
    public static let talkedBeforeGreeting = Reply(
        code: 554, enhanced: .protocolPermanent, "Protocol error: talking before the greeting")

    /// `554 5.6.0 Message line too long`: a text line over 998 octets plus CRLF
    /// (RFC 5321 §4.5.3.1.6; RFC 5322 §2.1.1).
    public static let messageLineTooLong = Reply(
        code: 554, enhanced: .otherMediaError, "Message line longer than 998 octets")

    /// `554 5.5.1 No valid recipients` (RFC 5321 §3.3: DATA without accepted RCPT).
    public static let noValidRecipients = Reply(code: 554, enhanced: .invalidCommand, "No valid recipients")

    // MARK: - Outcomes the delivery engine reports in DSNs

    /// `554 5.0.0 Message deleted from the queue by the operator`: the reason a bounce gives
    /// for the recipients of a message removed with `portcullis queue delete ID --bounce`
    /// (RFC 3464 §2.3.4 Status, §2.3.6 Diagnostic-Code). No RFC 3463 subject fits an
    /// administrative removal, so X.0.0 (other undefined status); permanent, because the
    /// message is gone and will not be retried.
    public static let deletedByOperator = Reply(
        code: 554, enhanced: .otherPermanent, "Message deleted from the queue by the operator")
}
