import SMTPCore

/// What the driver must do after feeding an event to ``POP3SessionStateMachine``, in order.
public enum POP3SessionAction: Sendable, Equatable {
    /// Write the response. With PIPELINING (RFC 2449 §6.6) the driver may batch responses
    /// until its input is drained.
    case send(POP3Response)
    /// Start the TLS handshake now that the `+OK` is written, then call `tlsEstablished()`.
    /// Input received after the STLS line was sent in cleartext and must be discarded
    /// (RFC 2595 §4, the CVE-2011-0411 command injection).
    case startTLS
    /// Check the credentials (with the abuse controls and the failure delay), then call
    /// `credentialsVerified(_:)`.
    case verifyCredentials(username: String, password: Secret)
    /// Lock the account's maildrop for this session, move new mail into `cur/` and list it,
    /// then call `maildropOpened(_:)`.
    case openMaildrop(account: String)
    /// Open message `number` (1-based) of the listing; if it opens, write `response`, then the
    /// message (all of it, or the header and `lines` body lines for TOP) through a
    /// ``MessageEncoder``, then call `retrievalFinished(.sent)`; if not, write nothing and call
    /// `retrievalFinished(.unavailable)`.
    case retrieve(number: Int, lines: Int?, response: POP3Response)
    /// The UPDATE state (RFC 1939 §6): remove the messages with these numbers, durably, then
    /// call `deletionsCommitted(succeeded:)`.
    case commitDeletions([Int])
    /// The session is done with its maildrop (QUIT, after UPDATE): release the lock now, so
    /// the client may log in again as soon as it reads the `+OK` (RFC 1939 §6), without
    /// waiting for the connection (and its TLS shutdown) to end.
    case releaseMaildrop
    /// Close the connection after writing what is pending. The maildrop lock is released
    /// when the connection closes, whatever the state.
    case close
}
