import Foundation
import Synchronization

/// The account directory with the SMTP session's look-ups cached for a few seconds:
/// ``isHostedDomain(_:)``, ``resolveRecipient(_:)`` and ``mayAccount(_:sendAs:)``.
///
/// A directory read per RCPT (and per MAIL on submission) cost a database read and a
/// thread hop each; the cached answers are available synchronously (``cachedIsHostedDomain(_:)``
/// and friends) so the session can answer on its event loop.
///
/// - Answers are trusted for `ttl` seconds, negative ones too ("not hosted", "unknown user"):
///   a domain, user or alias added or removed with the command line (another process) takes
///   effect within `ttl` for new look-ups. Writes made through this object clear the cache at once.
/// - Errors are not cached.
/// - ``authenticate(username:password:)`` is never cached: a changed password or a disabled
///   account must count at the next login.
/// - At most `maximumEntries` answers of each kind are kept (addresses from the network are
///   unbounded): past that, expired answers are dropped, then everything.
public final class CachedDirectory: AccountDirectory {
    /// The default lifetime of a cached answer, in seconds.
    public static let defaultTTL: TimeInterval = 5

    private let base: any AccountDirectory
    private let ttl: TimeInterval
    private let maximumEntries: Int
    private let clock: @Sendable () -> Date
    private let state = Mutex(State())

    /// Caches `base`'s look-ups for `ttl` seconds, on `clock` (injectable for tests).
    public init(_ base: any AccountDirectory, ttl: TimeInterval = CachedDirectory.defaultTTL, maximumEntries: Int = 50_000,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.base = base
        self.ttl = ttl
        self.maximumEntries = max(1, maximumEntries)
        self.clock = clock
    }

    // MARK: Synchronous look-ups

    /// ``isHostedDomain(_:)`` from memory, or a miss.
    public func cachedIsHostedDomain(_ name: String) -> CacheLookup<Bool> {
        lookup(\.hosted, name.lowercased())
    }

    /// ``resolveRecipient(_:)`` from memory, or a miss.
    public func cachedResolution(of address: String) -> CacheLookup<RecipientResolution> {
        lookup(\.resolutions, address)
    }

    /// ``mayAccount(_:sendAs:)`` from memory, or a miss.
    public func cachedMayAccount(_ account: String, sendAs address: String) -> CacheLookup<Bool> {
        lookup(\.ownership, Ownership(account: account, address: address))
    }

    // MARK: Cached look-ups

    public func isHostedDomain(_ name: String) async throws -> Bool {
        let key = name.lowercased()
        return try await cached(\.hosted, key) { try await self.base.isHostedDomain(key) }
    }

    public func resolveRecipient(_ address: String) async throws -> RecipientResolution {
        try await cached(\.resolutions, address) { try await self.base.resolveRecipient(address) }
    }

    public func mayAccount(_ account: String, sendAs address: String) async throws -> Bool {
        try await cached(\.ownership, Ownership(account: account, address: address)) {
            try await self.base.mayAccount(account, sendAs: address)
        }
    }

    // MARK: Passed through

    public func authenticate(username: String, password: Password) async throws -> AuthenticationResult {
        try await base.authenticate(username: username, password: password)
    }

    public func listDomains() async throws -> [HostedDomain] { try await base.listDomains() }
    public func user(_ address: String) async throws -> Account? { try await base.user(address) }
    public func listUsers(domain: String?) async throws -> [Account] { try await base.listUsers(domain: domain) }
    public func listAliases() async throws -> [Alias] { try await base.listAliases() }
    public func addressesOwned(by account: String) async throws -> [String] { try await base.addressesOwned(by: account) }
    public func listExemptions() async throws -> [OP25BExemption] { try await base.listExemptions() }

    // MARK: Writes (clear the cache)

    @discardableResult
    public func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain {
        try await invalidating { try await self.base.addDomain(name, kind: kind) }
    }

    public func removeDomain(_ name: String) async throws {
        try await invalidating { try await self.base.removeDomain(name) }
    }

    @discardableResult
    public func addUser(_ address: String, password: Password) async throws -> Account {
        try await invalidating { try await self.base.addUser(address, password: password) }
    }

    @discardableResult
    public func addUser(_ address: String, passwordHash: String) async throws -> Account {
        try await invalidating { try await self.base.addUser(address, passwordHash: passwordHash) }
    }

    public func setPassword(_ address: String, password: Password) async throws {
        try await base.setPassword(address, password: password)
    }

    public func disableUser(_ address: String) async throws {
        try await invalidating { try await self.base.disableUser(address) }
    }

    public func enableUser(_ address: String) async throws {
        try await invalidating { try await self.base.enableUser(address) }
    }

    public func removeUser(_ address: String) async throws {
        try await invalidating { try await self.base.removeUser(address) }
    }

    @discardableResult
    public func addAlias(_ alias: String, target: String) async throws -> Alias {
        try await invalidating { try await self.base.addAlias(alias, target: target) }
    }

    public func removeAlias(_ alias: String, target: String?) async throws {
        try await invalidating { try await self.base.removeAlias(alias, target: target) }
    }

    @discardableResult
    public func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption {
        try await base.addExemption(prefix: prefix, reason: reason, until: until)
    }

    public func removeExemption(prefix: String) async throws {
        try await base.removeExemption(prefix: prefix)
    }

    // MARK: Helpers

    private func lookup<Key: Hashable & Sendable, Value: Sendable>(
        _ table: WritableKeyPath<State, [Key: Cached<Value>]> & Sendable, _ key: Key
    ) -> CacheLookup<Value> {
        let now = clock()
        let ttl = self.ttl
        return state.withLock { state in
            guard let entry = state[keyPath: table][key], entry.isFresh(now: now, ttl: ttl) else { return .miss }
            return .hit(entry.value)
        }
    }

    private func cached<Key: Hashable & Sendable, Value: Sendable>(
        _ table: WritableKeyPath<State, [Key: Cached<Value>]> & Sendable, _ key: Key,
        _ read: @Sendable () async throws -> Value
    ) async throws -> Value {
        if case .hit(let value) = lookup(table, key) { return value }
        let version = state.withLock { $0.version }
        let value = try await read()
        let now = clock()
        let ttl = self.ttl
        let maximumEntries = self.maximumEntries
        state.withLock { state in
            // A write through this object meanwhile may have changed the answer: do not keep it.
            guard state.version == version else { return }
            if state[keyPath: table].count >= maximumEntries {
                state[keyPath: table] = state[keyPath: table].filter { $0.value.isFresh(now: now, ttl: ttl) }
                if state[keyPath: table].count >= maximumEntries { state[keyPath: table].removeAll() }
            }
            state[keyPath: table][key] = Cached(value: value, fetched: now)
        }
        return value
    }

    private func invalidating<T>(_ write: () async throws -> T) async throws -> T {
        defer { state.withLock { $0.clear() } }
        return try await write()
    }
}

/// A cached answer and when it was read.
private struct Cached<Value: Sendable>: Sendable {
    var value: Value
    var fetched: Date

    /// A clock that went back makes the entry stale rather than immortal.
    func isFresh(now: Date, ttl: TimeInterval) -> Bool {
        now >= fetched && now.timeIntervalSince(fetched) < ttl
    }
}

private struct Ownership: Hashable, Sendable {
    var account: String
    var address: String
}

private struct State: Sendable {
    var hosted: [String: Cached<Bool>] = [:]
    var resolutions: [String: Cached<RecipientResolution>] = [:]
    var ownership: [Ownership: Cached<Bool>] = [:]
    /// Bumped by every write, so a read that raced with one is not cached.
    var version = 0

    mutating func clear() {
        version += 1
        hosted.removeAll()
        resolutions.removeAll()
        ownership.removeAll()
    }
}
