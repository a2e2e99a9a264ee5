import Foundation

/// One alias entry: mail for `alias` goes to `target`.
///
/// An alias may have several entries (several targets). The target may be an
/// account, another alias (chains are followed up to ``AccountDirectory``'s depth
/// limit) or an address outside the hosted domains (the mail is forwarded).
public struct Alias: Sendable, Hashable, Codable {
    /// The alias address (its domain is hosted), local part case preserved.
    public var alias: String
    /// Where mail for the alias goes.
    public var target: String
    /// When the entry was added.
    public var created: Date

    /// Creates a value; use ``AccountDirectory/addAlias(_:target:)`` to store one.
    public init(alias: String, target: String, created: Date) {
        self.alias = alias
        self.target = target
        self.created = created
    }
}
