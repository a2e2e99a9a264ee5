import Foundation

/// A release from OP25B for part of an access network, typically a business
/// customer's static addresses, kept in the directory with a reason and an
/// optional expiry.
public struct Exemption: Hashable, Sendable {
    /// The released addresses; must lie inside one access network prefix.
    public let prefix: IPPrefix
    /// Why the release was granted (ticket, customer, contract), for the operator.
    public let reason: String
    /// When the release was recorded.
    public let created: Date
    /// When the release ends; nil means until removed.
    public let until: Date?

    /// Creates an exemption from a parsed prefix. ``OP25BPolicy`` checks that it
    /// lies inside an access network.
    public init(prefix: IPPrefix, reason: String, created: Date, until: Date? = nil) {
        self.prefix = prefix
        self.reason = reason
        self.created = created
        self.until = until
    }

    /// Parses and checks an exemption as `op25b exempt add` receives it.
    ///
    /// Refuses an unparsable prefix (host bits set, v4-mapped, garbage), an
    /// empty reason, and an expiry not after the creation time. Whether the
    /// prefix lies inside an access network is checked by
    /// ``OP25BPolicy/validate(exemption:)``.
    public init(parsing prefixText: String, reason: String, created: Date, until: Date? = nil) throws(PolicyError) {
        let entry = "exemption \"\(IPParseError.clip(prefixText))\""
        let prefix: IPPrefix
        do {
            prefix = try IPPrefix(prefixText)
        } catch {
            throw PolicyError(entry: entry, problem: .invalidPrefix(prefixText, error))
        }
        let exemption = Exemption(prefix: prefix, reason: reason, created: created, until: until)
        try exemption.checkFields(entry: entry)
        self = exemption
    }

    /// True while the exemption applies: it has no expiry, or `now` is not after it.
    public func isActive(at now: Date) -> Bool {
        guard let until else { return true }
        return now <= until
    }

    func checkFields(entry: String) throws(PolicyError) {
        if reason.allSatisfy(\.isWhitespace) {
            throw PolicyError(entry: entry, problem: .emptyReason)
        }
        if let until, until <= created {
            throw PolicyError(entry: entry, problem: .expiresBeforeCreated(until: until, created: created))
        }
    }
}
