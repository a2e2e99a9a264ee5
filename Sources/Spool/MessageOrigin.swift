import SMTPCore

/// Where a spooled message came from: accepted from a client, or made here.
///
/// Mail made here (``Spool/inject(_:)``) is told apart so that logs and the queue say why it
/// exists; every kind of it has the null reverse-path except a forward, which keeps the
/// original sender (RFC 5321 §3.9.1).
public enum MessageOrigin: Sendable, Hashable {
    /// Accepted by a client's transaction on one of the listeners.
    case received(ServiceKind)
    /// A delivery status notification for failed (or, when asked, delivered) recipients
    /// (RFC 3464).
    case deliveryReport
    /// A delay notice: a DSN with `Action: delayed` (RFC 3464 §2.3.3).
    case delayReport
    /// A copy of a message sent on to the outside targets of an alias.
    case aliasForward
    /// The notice to the postmaster that an account was held as compromised.
    case accountHeldNotice
    /// The notice to the abuse contact that a subscriber line is probably infected (OP25B).
    case infectedLineNotice
}

extension MessageOrigin: Codable {
    private enum CodingKeys: String, CodingKey { case kind, service }

    private enum Kind: String, Codable {
        case received, deliveryReport, delayReport, aliasForward, accountHeldNotice, infectedLineNotice
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .received:
            let service = try container.decode(String.self, forKey: .service)
            guard let kind = ServiceKind(rawValue: service) else {
                throw DecodingError.dataCorruptedError(forKey: .service, in: container, debugDescription: "unknown service \(service)")
            }
            self = .received(kind)
        case .deliveryReport: self = .deliveryReport
        case .delayReport: self = .delayReport
        case .aliasForward: self = .aliasForward
        case .accountHeldNotice: self = .accountHeldNotice
        case .infectedLineNotice: self = .infectedLineNotice
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .received(let service):
            try container.encode(Kind.received, forKey: .kind)
            try container.encode(service.rawValue, forKey: .service)
        case .deliveryReport: try container.encode(Kind.deliveryReport, forKey: .kind)
        case .delayReport: try container.encode(Kind.delayReport, forKey: .kind)
        case .aliasForward: try container.encode(Kind.aliasForward, forKey: .kind)
        case .accountHeldNotice: try container.encode(Kind.accountHeldNotice, forKey: .kind)
        case .infectedLineNotice: try container.encode(Kind.infectedLineNotice, forKey: .kind)
        }
    }
}
