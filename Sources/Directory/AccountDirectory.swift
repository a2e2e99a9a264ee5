import Foundation

/// The account directory: hosted domains, accounts, aliases and OP25B exemptions.
///
/// Every method is async and may suspend on I/O or on password hashing; none blocks the
/// caller's thread, so it is safe to call from a SwiftNIO event loop (through a Task).
/// ``SQLiteDirectory`` is the default implementation; a PostgreSQL one can follow by
/// conforming to this protocol and passing the shared conformance suite.
///
/// Addresses: domains match case-insensitively and are stored lower-case; local parts are
/// stored as given and matched case-insensitively (see ``Account/address``).
/// Errors thrown are ``DirectoryError`` values.
public protocol AccountDirectory: Sendable {
    // MARK: Domains

    /// Adds a hosted domain. Throws if the name is invalid or already hosted.
    @discardableResult
    func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain
    /// Removes a hosted domain; refuses while accounts or aliases still use it.
    func removeDomain(_ name: String) async throws
    /// All hosted domains, sorted by name.
    func listDomains() async throws -> [HostedDomain]
    /// Whether mail for `name` is received here (case-insensitive; no trailing-dot folding).
    func isHostedDomain(_ name: String) async throws -> Bool

    // MARK: Accounts

    /// Adds an account with a new password, hashed with the directory's hasher.
    @discardableResult
    func addUser(_ address: String, password: Password) async throws -> Account
    /// Adds an account with an existing hash (import from Dovecot or Postfix).
    @discardableResult
    func addUser(_ address: String, passwordHash: String) async throws -> Account
    /// The account for `address` (matched case-insensitively), or nil.
    func user(_ address: String) async throws -> Account?
    /// All accounts, or those of one domain, sorted by address.
    func listUsers(domain: String?) async throws -> [Account]
    /// Replaces an account's password.
    func setPassword(_ address: String, password: Password) async throws
    /// Prevents an account from authenticating (it still receives mail).
    func disableUser(_ address: String) async throws
    /// Lets a disabled account authenticate again.
    func enableUser(_ address: String) async throws
    /// Removes an account. Aliases pointing at it stay (and then resolve to nothing).
    func removeUser(_ address: String) async throws

    // MARK: Aliases

    /// Adds an alias entry. The alias's domain must be hosted; the target may be anywhere.
    @discardableResult
    func addAlias(_ alias: String, target: String) async throws -> Alias
    /// All alias entries, sorted by alias then target.
    func listAliases() async throws -> [Alias]
    /// Removes the entries of `alias` (only the one to `target` when given).
    func removeAlias(_ alias: String, target: String?) async throws

    // MARK: Authentication and addresses

    /// Checks a username (the account address) and password.
    ///
    /// An unknown username is verified against a dummy hash of the same method, so the time taken
    /// does not reveal whether the account exists.
    func authenticate(username: String, password: Password) async throws -> AuthenticationResult
    /// Where mail to `address` goes, following aliases up to a bounded depth.
    func resolveRecipient(_ address: String) async throws -> RecipientResolution
    /// The addresses an account may use as sender: its own and the aliases that reach it.
    func addressesOwned(by account: String) async throws -> [String]
    /// Whether `account` may send as `address` (one of ``addressesOwned(by:)``, case-insensitively).
    func mayAccount(_ account: String, sendAs address: String) async throws -> Bool

    // MARK: OP25B exemptions

    /// Stores an exemption for a subscriber prefix (an address alone means a /32 or /128).
    @discardableResult
    func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption
    /// All exemptions, sorted by prefix.
    func listExemptions() async throws -> [OP25BExemption]
    /// Removes the exemption for `prefix`; throws if there is none.
    func removeExemption(prefix: String) async throws
}

extension AccountDirectory {
    /// Adds a virtual (customer) domain.
    @discardableResult
    public func addDomain(_ name: String) async throws -> HostedDomain {
        try await addDomain(name, kind: .virtual)
    }

    /// All accounts.
    public func listUsers() async throws -> [Account] {
        try await listUsers(domain: nil)
    }

    /// Removes every entry of `alias`.
    public func removeAlias(_ alias: String) async throws {
        try await removeAlias(alias, target: nil)
    }

    /// One of ``addressesOwned(by:)``, compared as directory addresses; false for an unknown
    /// account. The rule for every back end; a cache may answer it from memory instead.
    public func mayAccount(_ account: String, sendAs address: String) async throws -> Bool {
        guard let wanted = DirectoryAddress.lookup(address)?.key else { return false }
        let owned: [String]
        do {
            owned = try await addressesOwned(by: account)
        } catch DirectoryError.userNotFound {
            return false
        }
        return owned.contains { DirectoryAddress.lookup($0)?.key == wanted }
    }
}
