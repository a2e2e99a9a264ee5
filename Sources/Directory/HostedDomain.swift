import Foundation

/// A mail domain this installation receives mail for.
public struct HostedDomain: Sendable, Hashable, Codable {
    /// Whether a domain is the ISP's own or one it hosts for a customer.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The ISP's own domain (e.g. `alato.example`).
        case primary
        /// A customer's domain hosted by the ISP (e.g. `virtual.example`). The default.
        case virtual
    }

    /// The domain name, lower-case ASCII (internationalised names in their `xn--` A-label form).
    public var name: String
    /// Primary or virtual.
    public var kind: Kind
    /// When the domain was added.
    public var created: Date

    /// Creates a value; use ``AccountDirectory/addDomain(_:kind:)`` to store one.
    public init(name: String, kind: Kind, created: Date) {
        self.name = name
        self.kind = kind
        self.created = created
    }
}
