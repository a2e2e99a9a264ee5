import Foundation

/// An exemption as the directory stores it: prefix still text.
///
/// ``OP25BPolicy/init(accessNetworks:mailHosts:blockedPorts:exemptions:)``
/// parses and checks these; an error names the entry, e.g.
/// `exemptions[2] "203.0.113.65/28": prefix "203.0.113.65/28": host bits set, did you mean 203.0.113.64/28`.
public struct ExemptionSpec: Hashable, Sendable {
    /// The released prefix in CIDR notation (or a bare address).
    public var prefix: String
    /// Why the release was granted.
    public var reason: String
    /// When it was recorded.
    public var created: Date
    /// When it ends; nil means until removed.
    public var until: Date?

    /// Creates a spec from one stored exemption row.
    public init(prefix: String, reason: String, created: Date, until: Date? = nil) {
        self.prefix = prefix
        self.reason = reason
        self.created = created
        self.until = until
    }
}
