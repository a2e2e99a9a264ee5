import Foundation

/// A mailbox owner who may log in and send mail.
///
/// The password hash is deliberately not part of this value: it stays inside the directory.
public struct Account: Sendable, Hashable, Codable {
    /// The address as it was added: local part with its case preserved, domain lower-cased.
    ///
    /// Look-ups match the local part case-insensitively (`Taro@alato.example` finds
    /// `taro@alato.example`), which is what every large mail provider does even though
    /// RFC 5321 §2.4 lets a server treat local parts as case-sensitive.
    public var address: String
    /// The account's domain (lower case).
    public var domain: String
    /// Whether the account may authenticate. A disabled account still receives mail.
    public var isEnabled: Bool
    /// When the account was added.
    public var created: Date

    /// Creates a value; use ``AccountDirectory/addUser(_:password:)`` to store one.
    public init(address: String, domain: String, isEnabled: Bool, created: Date) {
        self.address = address
        self.domain = domain
        self.isEnabled = isEnabled
        self.created = created
    }
}
