import SMTPCore

/// The reply that ended a recipient's last delivery attempt: the next hop's own (with the
/// host it came from), or one the delivery engine made for a failure that had no reply
/// (DNS, a refused connection, a local mailbox error).
///
/// Kept as a reply, not as text, so a DSN written after a restart reports the same
/// `Status`, `Diagnostic-Code` and `Remote-MTA` (RFC 3464 §2.3.4–§2.3.6).
public struct DeliveryReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, enhanced status code and text.
    public var reply: Reply
    /// The remote server that sent it (DSN `Remote-MTA`); nil for a reply made here.
    public var remoteHost: String?

    /// Creates a last reply.
    public init(_ reply: Reply, remoteHost: String? = nil) {
        self.reply = reply
        self.remoteHost = remoteHost
    }

    /// For logs and `portcullis queue list`: `550 5.1.1 no such user (from mx.example.net)`.
    public var description: String {
        guard let remoteHost else { return reply.description }
        return "\(reply.description) (from \(remoteHost))"
    }
}

extension DeliveryReply: Codable {
    private enum CodingKeys: String, CodingKey { case code, enhanced, lines, remoteHost }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let enhanced = try container.decodeIfPresent([Int].self, forKey: .enhanced)
        if let enhanced, enhanced.count != 3 {
            throw DecodingError.dataCorruptedError(forKey: .enhanced, in: container, debugDescription: "not class.subject.detail")
        }
        reply = Reply(code: try container.decode(Int.self, forKey: .code),
                      enhanced: enhanced.map { EnhancedStatusCode($0[0], $0[1], $0[2]) },
                      lines: try container.decode([String].self, forKey: .lines))
        remoteHost = try container.decodeIfPresent(String.self, forKey: .remoteHost)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reply.code, forKey: .code)
        if let enhanced = reply.enhanced {
            try container.encode([enhanced.statusClass, enhanced.subject, enhanced.detail], forKey: .enhanced)
        }
        try container.encode(reply.lines, forKey: .lines)
        try container.encodeIfPresent(remoteHost, forKey: .remoteHost)
    }
}
