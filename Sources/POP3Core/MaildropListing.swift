/// What a session knows of its maildrop: the messages at login, numbered from 1 in this
/// order (RFC 1939 §5), with the sizes and unique-ids the server announces. A snapshot: mail
/// delivered during the session is seen by the next one.
public struct MaildropListing: Sendable, Hashable {
    public struct Message: Sendable, Hashable {
        /// The size in octets as sent: CRLF line endings, before dot-stuffing (RFC 1939 §5).
        public var octets: Int
        /// The unique-id (RFC 1939 §7): 1 to 70 characters in 0x21-0x7E, stable across sessions.
        public var uniqueID: String

        public init(octets: Int, uniqueID: String) {
            self.octets = octets
            self.uniqueID = uniqueID
        }
    }

    public var messages: [Message]

    public init(messages: [Message]) {
        self.messages = messages
    }
}

/// The result of `POP3Action.openMaildrop`.
public enum MaildropOpening: Sendable, Hashable {
    /// Locked and listed: the session enters TRANSACTION.
    case opened(MaildropListing)
    /// Another session holds it (RFC 2449 §8.1.2 `[IN-USE]`).
    case inUse
    /// It could not be read.
    case unavailable
}

/// The directory's answer to `POP3Action.verifyCredentials`.
public enum POP3LoginOutcome: Sendable, Hashable {
    /// The credentials are valid for `account`, whose maildrop is opened next.
    case success(account: String)
    /// Wrong user or password (`-ERR [AUTH]`).
    case invalidCredentials
    /// The password is right but the account may not log in. Answered exactly as a wrong
    /// password (`-ERR [AUTH]`, after the same delay): a different answer would tell a guesser
    /// that the password was right.
    case disabled
    /// Not checked (blocked address, locked account) or the directory failed (`-ERR [SYS/TEMP]`).
    case temporaryFailure
}

/// How a RETR or TOP ended, for `POP3SessionStateMachine.retrievalFinished`.
public enum RetrievalOutcome: Sendable, Hashable {
    /// The `+OK`, the content and the terminating `.` were written.
    case sent
    /// The message is gone (an operator's purge, another reader deleted it); nothing was written.
    case gone
    /// The file could not be opened (an I/O error); nothing was written.
    case unavailable
}
