/// Why a conversation with a remote server broke down (as opposed to a reply refusing something).
///
/// All of these are transient for delivery: another address, host or attempt may succeed.
public enum SMTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// TCP connect failed or timed out.
    case connectFailed(String)
    /// No reply within the RFC 5321 §4.5.3.2 timeout for `stage`.
    case timeout(stage: String)
    /// The server closed the connection.
    case connectionClosed
    /// The server sent something that is not an SMTP reply.
    case protocolViolation(String)
    /// The TLS handshake after STARTTLS failed.
    case tlsFailed(String)

    /// A one-line explanation for logs and the queue's last error.
    public var description: String {
        switch self {
        case .connectFailed(let reason): return "connect failed: \(reason)"
        case .timeout(let stage): return "timeout waiting for the reply to \(stage)"
        case .connectionClosed: return "connection closed by the server"
        case .protocolViolation(let reason): return "protocol error: \(reason)"
        case .tlsFailed(let reason): return "TLS handshake failed: \(reason)"
        }
    }
}
