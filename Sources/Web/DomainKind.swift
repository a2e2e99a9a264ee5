/// What this installation knows about an address's domain: the only fact the
/// checker reveals (never whether a mailbox exists).
public enum DomainKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The ISP's own domain (`HostedDomain.Kind.primary`), e.g. `alato.example`.
    case ispDomain = "isp"
    /// A customer's own domain on the virtual domain service (`HostedDomain.Kind.virtual`).
    case virtualDomain = "virtual"
    /// Not hosted here: another provider's or a rental server's domain.
    case outside

    /// True for the ISP's own and virtual domains.
    public var isHosted: Bool { self != .outside }
}
