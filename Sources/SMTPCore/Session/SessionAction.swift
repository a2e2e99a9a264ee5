/// What the driver must do after feeding an event to `SessionStateMachine`. Actions are
/// performed in order.
public enum SessionAction: Sendable, Equatable {
    /// Write the reply. With PIPELINING, the driver may batch replies until its input
    /// buffer is empty (RFC 2920 §3.2).
    case send(Reply)
    /// Hold the greeting for `duration` (a timer, not a blocking wait) and read no commands.
    /// When it elapses call `greetPauseElapsed()`; if the client sends any octet before
    /// that, call `clientTalkedFirst()` instead (RFC 5321 §3.1, postscreen's pregreet test).
    case pauseGreeting(Duration)
    /// Close the connection after writing everything before it.
    case close
    /// Start the TLS handshake now that the 220 is written, then call `tlsEstablished`.
    /// Bytes received after the STARTTLS line and before the handshake must be discarded
    /// (RFC 3207 §4.2; the CVE-2011-0411 command-injection attack).
    case startTLS
    /// Check the credentials with the directory, then call `credentialsVerified`.
    case verifyCredentials(mechanism: String, authzid: String?, username: String, password: Secret)
    /// Ask the policy about the sender, then call `senderChecked`.
    case checkSender(ReversePath, MailParameters)
    /// Ask the policy/directory about the recipient, then call `recipientChecked`.
    case checkRecipient(ForwardPath, RcptParameters)
    /// The 354 was sent: read the message through a `DataDecoder`, then call `dataFinished`.
    case receiveData(Envelope)
    /// Read exactly `size` raw octets as the next BDAT chunk of the message for
    /// `envelope` (starting it on the first chunk), then call `chunkFinished` (RFC 3030 §2).
    case receiveChunk(size: Int, last: Bool, envelope: Envelope)
    /// Read and throw away exactly `size` octets: a refused BDAT's chunk still follows
    /// the command on the wire (RFC 3030 §2). No event follows.
    case discardChunk(size: Int)
    /// Drop the partially received BDAT message; the transaction was abandoned.
    case abortMessage
    /// Commit the received message durably to the spool, then call `messageQueued` or
    /// `queueFailed`. The 250 must not be sent before the message is safe (RFC 5321 §6.1).
    case queueMessage(Envelope)
}
