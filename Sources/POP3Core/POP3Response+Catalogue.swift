// The table of every response the POP3 server sends: named here and nowhere else. Response
// codes are those of RFC 2449 §8 and RFC 3206.

extension POP3Response {
    // MARK: - Greeting and capabilities

    /// `+OK <hostname> POP3 Portcullis ready` (RFC 1939 §4). No APOP timestamp: APOP is not offered.
    public static func greeting(_ hostname: String) -> POP3Response {
        POP3Response(.ok, "\(hostname) POP3 Portcullis ready")
    }

    /// The CAPA answer: one capability per line (RFC 2449 §5).
    public static func capabilities(_ capabilities: [String]) -> POP3Response {
        POP3Response(.ok, "Capability list follows", lines: capabilities)
    }

    /// The mechanisms, for a bare `AUTH` (RFC 1734 §2, which RFC 5034 replaced; clients still ask).
    public static func mechanisms(_ mechanisms: [String]) -> POP3Response {
        POP3Response(.ok, "Mechanisms follow", lines: mechanisms)
    }

    // MARK: - AUTHORIZATION

    /// `+OK`: the name is noted; the password is asked next (RFC 1939 §7). Says nothing about
    /// whether the name exists.
    public static let userAccepted = POP3Response(.ok, "Send PASS")

    /// `+ `: the empty challenge of AUTH PLAIN without an initial response (RFC 5034 §4).
    public static let saslContinuation = POP3Response(.continuation, "")

    /// `+OK`: the UTF8 command (RFC 6856 §2).
    public static let utf8Enabled = POP3Response(.ok, "UTF8 enabled")

    /// `+OK Begin TLS negotiation` (RFC 2595 §4).
    public static let beginTLS = POP3Response(.ok, "Begin TLS negotiation")

    /// `+OK maildrop has N messages (S octets)`: logged in, in TRANSACTION (RFC 1939 §7).
    public static func loggedIn(count: Int, octets: Int) -> POP3Response {
        POP3Response(.ok, "Logged in: maildrop has \(count) message\(count == 1 ? "" : "s") (\(octets) octets)")
    }

    // MARK: - TRANSACTION

    /// `+OK nn mm` (RFC 1939 §5 STAT: the drop listing, in exactly this form).
    public static func status(count: Int, octets: Int) -> POP3Response {
        POP3Response(.ok, "\(count) \(octets)")
    }

    /// The LIST answer without an argument: a scan listing per message (RFC 1939 §5).
    public static func scanListing(_ entries: [(number: Int, octets: Int)], count: Int, octets: Int) -> POP3Response {
        POP3Response(.ok, "\(count) message\(count == 1 ? "" : "s") (\(octets) octets)",
                     lines: entries.map { "\($0.number) \($0.octets)" })
    }

    /// `+OK n size`: LIST with an argument (RFC 1939 §5).
    public static func scanLine(number: Int, octets: Int) -> POP3Response {
        POP3Response(.ok, "\(number) \(octets)")
    }

    /// The UIDL answer without an argument: a unique-id listing per message (RFC 1939 §7).
    public static func uniqueIDListing(_ entries: [(number: Int, uid: String)]) -> POP3Response {
        POP3Response(.ok, "Unique-ID listing follows", lines: entries.map { "\($0.number) \($0.uid)" })
    }

    /// `+OK n uid`: UIDL with an argument (RFC 1939 §7).
    public static func uniqueIDLine(number: Int, uid: String) -> POP3Response {
        POP3Response(.ok, "\(number) \(uid)")
    }

    /// `+OK size octets`: the message follows (RFC 1939 §5 RETR).
    public static func messageFollows(octets: Int) -> POP3Response {
        POP3Response(.ok, "\(octets) octets")
    }

    /// `+OK`: the top of the message follows (RFC 1939 §7 TOP).
    public static let topFollows = POP3Response(.ok, "Top of message follows")

    /// `+OK message n deleted`: marked; removed only in the UPDATE state (RFC 1939 §5 DELE).
    public static func markedDeleted(_ number: Int) -> POP3Response {
        POP3Response(.ok, "Message \(number) deleted")
    }

    /// `+OK`: RSET unmarked every message (RFC 1939 §5).
    public static func reset(count: Int, octets: Int) -> POP3Response {
        POP3Response(.ok, "Maildrop has \(count) message\(count == 1 ? "" : "s") (\(octets) octets)")
    }

    /// `+OK`: NOOP (RFC 1939 §5).
    public static let noop = POP3Response(.ok, "")

    // MARK: - QUIT and UPDATE

    /// `+OK`: QUIT in AUTHORIZATION, or in TRANSACTION with nothing marked (RFC 1939 §6).
    public static let signingOff = POP3Response(.ok, "Bye")

    /// `+OK`: the UPDATE state removed the marked messages (RFC 1939 §6).
    public static func deletedAtUpdate(_ count: Int) -> POP3Response {
        POP3Response(.ok, "Bye: \(count) message\(count == 1 ? "" : "s") deleted")
    }

    /// `-ERR some deleted messages not removed` (RFC 1939 §6, the text it gives).
    public static let deletionFailed = POP3Response(.error, code: .systemTemporary, "Some deleted messages not removed")

    // MARK: - Refusals of commands

    /// An unknown command (RFC 1939 §3: `-ERR` for anything not recognised).
    public static let unknownCommand = POP3Response(.error, "Unknown command")

    /// A known command with wrong arguments.
    public static func syntaxError(_ usage: String) -> POP3Response {
        POP3Response(.error, "Syntax: \(usage)")
    }

    /// A command line over 255 octets (RFC 2449 §4); the rest of the line was skipped.
    public static let lineTooLong = POP3Response(.error, "Line too long: at most 255 octets")

    /// A line ended by a bare CR or LF (RFC 1939 §3: CRLF); it was skipped.
    public static let bareLineEnding = POP3Response(.error, "Lines must end with CRLF")

    /// A command that is not valid in the session's state (RFC 1939 §3).
    public static let badSequence = POP3Response(.error, "Command not valid in this state")

    /// PASS before USER (RFC 1939 §7).
    public static let userFirst = POP3Response(.error, "Send USER first")

    /// A login on the cleartext service before STLS: credentials only over TLS (RFC 2595 §2.1,
    /// RFC 8314 §3). No response code: nothing is wrong with the credentials.
    public static let tlsRequired = POP3Response(.error, "Send STLS first: logins need TLS")

    /// STLS where TLS cannot be offered.
    public static let tlsUnavailable = POP3Response(.error, "TLS not available")

    /// STLS with TLS already active (RFC 2595 §4: only once).
    public static let tlsAlreadyActive = POP3Response(.error, "TLS already active")

    /// A message number that is not in the listing (RFC 1939 §5).
    public static let noSuchMessage = POP3Response(.error, "No such message")

    /// A message marked as deleted (RFC 1939 §5: it may not be referred to).
    public static func messageDeleted(_ number: Int) -> POP3Response {
        POP3Response(.error, "Message \(number) already deleted")
    }

    // MARK: - Authentication failures

    /// `-ERR [AUTH]`: wrong user name or password, after the failure delay (RFC 3206 §5).
    public static let authFailed = POP3Response(.error, code: .auth, "Invalid user name or password")

    /// `-ERR [SYS/TEMP]`: the login was not checked (a blocked address, a locked account) or
    /// could not be (the directory is down) (RFC 3206 §4).
    public static let authTemporaryFailure = POP3Response(.error, code: .systemTemporary, "Cannot log in now; try again later")

    /// A SASL mechanism other than PLAIN (RFC 5034 §4).
    public static let mechanismUnknown = POP3Response(.error, "Unsupported authentication mechanism")

    /// `*` during AUTH (RFC 5034 §4).
    public static let authCancelled = POP3Response(.error, "Authentication cancelled")

    /// A SASL response that is not base64 or not a PLAIN message (RFC 5034 §4, RFC 4616 §2).
    public static let authInvalidResponse = POP3Response(.error, "Invalid SASL response")

    /// An authorization identity other than the user (RFC 4616 §2): no one acts as another here.
    public static let authorizationDenied = POP3Response(.error, code: .auth, "Cannot act as another user")

    // MARK: - The maildrop

    /// `-ERR [IN-USE]`: another session holds the maildrop (RFC 2449 §8.1.2, RFC 1939 §8).
    public static let maildropInUse = POP3Response(.error, code: .inUse, "Mailbox in use by another session")

    /// `-ERR [SYS/TEMP]`: the maildrop could not be opened.
    public static let maildropUnavailable = POP3Response(.error, code: .systemTemporary, "Cannot open the mailbox; try again later")

    /// The message was removed since login (an operator's purge, another reader). A plain
    /// `-ERR`, not `[SYS/TEMP]`: retrying cannot bring it back, and a client that retries on
    /// `[SYS/TEMP]` (fetchmail) would ask for it again at every poll.
    public static let messageGone = POP3Response(.error, "Message no longer exists")

    /// `-ERR [SYS/TEMP]`: the message file could not be read (an I/O error).
    public static let messageUnavailable = POP3Response(.error, code: .systemTemporary, "Cannot read the message")

    // MARK: - The connection

    /// Too many refused commands: the session closes.
    public static let tooManyErrors = POP3Response(.error, "Too many errors; closing")

    /// RFC 1939 §3: the autologout timer expired; the session closes without UPDATE.
    public static let idleTimeout = POP3Response(.error, "Autologout: idle too long")

    /// The server is stopping; nothing marked is removed.
    public static let shuttingDown = POP3Response(.error, code: .systemTemporary, "Server shutting down")

    /// Over the connection limits (`[limits]`), before the greeting.
    public static let tooManyConnections = POP3Response(.error, code: .systemTemporary, "Too many connections; try again later")

    /// The abuse controls refused the connection (a blocked address, the connection rate); the
    /// text says which and for how long.
    public static func connectionRefused(_ reason: String) -> POP3Response {
        POP3Response(.error, code: .systemTemporary, reason)
    }

    /// Anything unexpected on the server's side, with the session ID that is in the log too.
    public static func localError(sessionID: String) -> POP3Response {
        POP3Response(.error, code: .systemTemporary, "Local error; session \(sessionID)")
    }
}
