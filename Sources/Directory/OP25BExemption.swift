import Foundation
import Policy

/// A subscriber prefix allowed to reach port 25 on the internet despite OP25B.
///
/// The directory only stores these; the policy engine decides what they mean.
public struct OP25BExemption: Sendable, Hashable, Codable {
    /// The prefix in canonical text form with its length, e.g. `203.0.113.7/32` or `2001:db8:100::/48`.
    public var prefix: String
    /// Why the exemption was granted (ticket number, customer name…).
    public var reason: String
    /// When it was added.
    public var created: Date
    /// When it stops applying, or `nil` for no end date.
    public var until: Date?

    /// Creates a value; use ``AccountDirectory/addExemption(prefix:reason:until:)`` to store one.
    public init(prefix: String, reason: String, created: Date, until: Date?) {
        self.prefix = prefix
        self.reason = reason
        self.created = created
        self.until = until
    }
}

extension OP25BExemption {
    /// `input` as the directory stores it: ``IPPrefix``'s canonical `address/length`, so that
    /// `2001:DB8::/48` and `2001:db8:0::/48` are one entry. A bare address is a single host.
    package static func canonicalPrefix(_ input: String) throws(DirectoryError) -> String {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try IPPrefix(trimmed).description
        } catch {
            throw .invalidPrefix(input, reason: error.description)
        }
    }
}
