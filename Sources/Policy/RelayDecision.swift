/// What the port-25 service does with one recipient (see ``RelayPolicy``).
public enum RelayDecision: Hashable, Sendable {
    /// The domain is hosted here: accept for local delivery, from anyone (inbound MX).
    case local
    /// The client is on one of the ISP's access networks: accept and relay to any domain.
    case relay
    /// Neither: refuse the recipient. The SMTP layer answers
    /// `554 5.7.1` (RFC 5321 §3.6.2: no relaying for unauthorised clients;
    /// RFC 3463 §3.8: X.7.1 delivery not authorized).
    case denied
}
