import Foundation
import Policy

/// Everything a directory stores, as stored: hosted domains, accounts with their password
/// hashes, aliases, OP25B exemptions and the abuse-control state. `portcullis directory copy`
/// moves one from one back end to another.
///
/// Package-only because it carries password hashes, which otherwise never leave a directory.
/// Every row is taken, including short-lived ones (rate-counter buckets, blocks that have
/// expired): a copy is exact, and the target's own pruning ages them out as the source's would.
package struct DirectorySnapshot: Sendable, Hashable {
    /// An account with everything stored about it.
    package struct StoredAccount: Sendable, Hashable, CustomStringConvertible {
        package var account: Account
        /// The crypt(3) hash, moved as it is: no re-hashing, so every password still works.
        package var passwordHash: String
        package var limits: AccountLimits
        /// The compromised-account hold, active or released.
        package var suspension: AccountSuspension?
        /// Client addresses it logged in from (an account lock spares them), by client.
        package var logins: [KnownLogin]

        package init(account: Account, passwordHash: String, limits: AccountLimits = .none,
                     suspension: AccountSuspension? = nil, logins: [KnownLogin] = []) {
            self.account = account
            self.passwordHash = passwordHash
            self.limits = limits
            self.suspension = suspension
            self.logins = logins
        }

        /// The address only: a hash never goes into a message or a log.
        package var description: String { account.address }
    }

    /// A client address an account logged in from, and when it last did.
    package struct KnownLogin: Sendable, Hashable {
        package var client: String
        package var lastSuccess: Date

        package init(client: String, lastSuccess: Date) {
            self.client = client
            self.lastSuccess = lastSuccess
        }
    }

    /// One bucket of one rate counter.
    package struct StoredCounter: Sendable, Hashable {
        package var counter: AbuseCounter
        package var bucket: CounterBucket

        package init(counter: AbuseCounter, bucket: CounterBucket) {
            self.counter = counter
            self.bucket = bucket
        }
    }

    /// One bucket of blocked port-25 attempts of one subscriber to one destination.
    package struct StoredOP25BAttempt: Sendable, Hashable {
        package var subscriber: OP25BSubscriber
        package var destination: IPAddress
        /// Bucket start, first and last seen: seconds since 1970.
        package var bucket: Int
        package var attempts: Int
        package var firstSeen: Int
        package var lastSeen: Int

        package init(subscriber: OP25BSubscriber, destination: IPAddress, bucket: Int, attempts: Int, firstSeen: Int, lastSeen: Int) {
            self.subscriber = subscriber
            self.destination = destination
            self.bucket = bucket
            self.attempts = attempts
            self.firstSeen = firstSeen
            self.lastSeen = lastSeen
        }
    }

    /// When the operator was last told about a subscriber (seconds since 1970).
    package struct StoredOP25BNotice: Sendable, Hashable {
        package var subscriber: OP25BSubscriber
        package var notified: Int

        package init(subscriber: OP25BSubscriber, notified: Int) {
            self.subscriber = subscriber
            self.notified = notified
        }
    }

    package var domains: [HostedDomain]
    /// By address key.
    package var accounts: [StoredAccount]
    package var aliases: [Alias]
    package var exemptions: [OP25BExemption]
    /// Failed-login blocks of client addresses and locks of accounts, by subject.
    package var blocks: [AbuseBlock]
    package var counters: [StoredCounter]
    /// By subscriber, destination and bucket.
    package var op25bAttempts: [StoredOP25BAttempt]
    /// By subscriber.
    package var op25bNotices: [StoredOP25BNotice]

    package init(domains: [HostedDomain] = [], accounts: [StoredAccount] = [], aliases: [Alias] = [],
                 exemptions: [OP25BExemption] = [], blocks: [AbuseBlock] = [], counters: [StoredCounter] = [],
                 op25bAttempts: [StoredOP25BAttempt] = [], op25bNotices: [StoredOP25BNotice] = []) {
        self.op25bAttempts = op25bAttempts
        self.op25bNotices = op25bNotices
        self.domains = domains
        self.accounts = accounts
        self.aliases = aliases
        self.exemptions = exemptions
        self.blocks = blocks
        self.counters = counters
    }

    /// How many of each kind it holds.
    package var contents: DirectoryContents {
        DirectoryContents(
            domains: domains.count, accounts: accounts.count, aliases: aliases.count, exemptions: exemptions.count,
            accountLimits: accounts.count { $0.limits != .none },
            suspensions: accounts.count { $0.suspension != nil },
            knownLogins: accounts.reduce(0) { $0 + $1.logins.count },
            blocks: blocks.count, counterBuckets: counters.count,
            op25bAttemptBuckets: op25bAttempts.count, op25bNotices: op25bNotices.count)
    }
}

/// How many entries of each kind a directory holds.
public struct DirectoryContents: Sendable, Hashable, CustomStringConvertible {
    public var domains: Int
    public var accounts: Int
    public var aliases: Int
    public var exemptions: Int
    /// Accounts with their own rate limits.
    public var accountLimits: Int
    /// Compromised-account holds, active or released.
    public var suspensions: Int
    /// Remembered (account, client address) logins.
    public var knownLogins: Int
    /// Client-address blocks and account locks.
    public var blocks: Int
    /// Rate-counter buckets.
    public var counterBuckets: Int
    /// Buckets of blocked port-25 attempts (per subscriber and destination).
    public var op25bAttemptBuckets: Int
    /// Subscribers the operator was told about.
    public var op25bNotices: Int

    public init(domains: Int = 0, accounts: Int = 0, aliases: Int = 0, exemptions: Int = 0, accountLimits: Int = 0,
                suspensions: Int = 0, knownLogins: Int = 0, blocks: Int = 0, counterBuckets: Int = 0,
                op25bAttemptBuckets: Int = 0, op25bNotices: Int = 0) {
        self.op25bAttemptBuckets = op25bAttemptBuckets
        self.op25bNotices = op25bNotices
        self.domains = domains
        self.accounts = accounts
        self.aliases = aliases
        self.exemptions = exemptions
        self.accountLimits = accountLimits
        self.suspensions = suspensions
        self.knownLogins = knownLogins
        self.blocks = blocks
        self.counterBuckets = counterBuckets
    }

    /// Each kind with its count, in a fixed order (the copy summary prints every line).
    public var kinds: [(name: String, count: Int)] {
        [("domains", domains), ("accounts", accounts), ("aliases", aliases), ("OP25B exemptions", exemptions),
         ("account limits", accountLimits), ("account holds", suspensions), ("known login addresses", knownLogins),
         ("blocks and locks", blocks), ("rate-counter buckets", counterBuckets),
         ("OP25B attempt buckets", op25bAttemptBuckets), ("OP25B offender notices", op25bNotices)]
    }

    public var isEmpty: Bool { kinds.allSatisfy { $0.count == 0 } }

    /// The kinds present, e.g. "2 domains, 5 accounts"; "nothing" when empty.
    public var description: String {
        let present = kinds.filter { $0.count > 0 }.map { "\($0.count) \($0.name)" }
        return present.isEmpty ? "nothing" : present.joined(separator: ", ")
    }
}

/// A directory whose whole content can be read and written as a ``DirectorySnapshot``.
package protocol DirectoryTransfer: AccountDirectory, AbuseStore, OP25BAttemptStore {
    /// Everything stored, read in one transaction (a consistent snapshot).
    func exportSnapshot() async throws -> DirectorySnapshot

    /// Writes `snapshot` in one transaction: refuses with ``DirectoryError/directoryNotEmpty(_:)``
    /// unless the directory holds nothing, writers are kept out until it commits, and before
    /// committing the directory is read back in the same transaction and given to `verify`,
    /// whose error rolls everything back. Hashes are written as stored, not re-checked with
    /// the hasher: they were checked when first stored, a copy changes nothing about them
    /// (a hash that did not verify before does not after), and a check is one crypt(3) per
    /// account, tens of milliseconds each, with the target locked.
    func importSnapshot(_ snapshot: DirectorySnapshot,
                        verify: @escaping @Sendable (DirectorySnapshot) throws -> Void) async throws
}

/// Moving a whole directory into an empty one, the rules for every pair of back ends.
package enum DirectoryCopy {
    /// Copies `source` into `target`, which must be empty; returns what was copied. The target
    /// is compared with the source inside the import transaction (a difference rolls it back)
    /// and again after the commit.
    package static func run(from source: any DirectoryTransfer, to target: any DirectoryTransfer) async throws -> DirectoryContents {
        let snapshot = try await source.exportSnapshot()
        try await target.importSnapshot(snapshot) { written in
            if let difference = difference(written, from: snapshot) {
                throw DirectoryError.copyMismatch("\(difference); the copy was rolled back, the target is still empty")
            }
        }
        if let difference = difference(try await target.exportSnapshot(), from: snapshot) {
            throw DirectoryError.copyMismatch("\(difference), after the commit: the target holds this copy; empty it before copying again")
        }
        return snapshot.contents
    }

    /// What differs, or nil when `copy` holds as many of each kind as `original` and every
    /// account with the same password hash, enabled state, limits and hold. Timestamps are not
    /// compared: SQLite keeps milliseconds, PostgreSQL microseconds.
    package static func difference(_ copy: DirectorySnapshot, from original: DirectorySnapshot) -> String? {
        for (written, expected) in zip(copy.contents.kinds, original.contents.kinds) where written.count != expected.count {
            return "\(written.count) \(written.name) read back, \(expected.count) in the source"
        }
        func key(_ address: String) -> String { DirectoryAddress.lookup(address)?.key ?? address }
        let copied = Dictionary(copy.accounts.map { (key($0.account.address), $0) }, uniquingKeysWith: { first, _ in first })
        for expected in original.accounts {
            let address = expected.account.address
            guard let written = copied[key(address)] else { return "account \(address) is missing" }
            if written.passwordHash != expected.passwordHash { return "account \(address) has another password hash" }
            if written.account.isEnabled != expected.account.isEnabled {
                return "account \(address) is \(written.account.isEnabled ? "enabled" : "disabled")"
            }
            if written.limits != expected.limits { return "account \(address) has other limits" }
            if written.suspension?.isActive != expected.suspension?.isActive { return "account \(address)'s hold differs" }
        }
        return nil
    }
}

extension DirectorySnapshot {
    /// A stored rate-counter row, typed. A row this build cannot read is an error rather than
    /// skipped: a copy is exact or does not happen.
    package static func storedCounter(name: String, subject: String, bucket: Int, amount: Int) throws(DirectoryError) -> StoredCounter {
        guard let counterName = AbuseCounter.Name(rawValue: name), let counterSubject = AbuseSubject(key: subject) else {
            throw .storageFailure("abuse_counters holds a counter this version cannot read (\(name), \(subject))")
        }
        return StoredCounter(counter: AbuseCounter(counterName, counterSubject), bucket: CounterBucket(start: bucket, amount: amount))
    }

    /// A stored block row, typed; an unreadable subject is an error, as for counters.
    package static func storedBlock(subject: String, until: Date, reason: String, created: Date) throws(DirectoryError) -> AbuseBlock {
        guard let parsed = AbuseSubject(key: subject) else {
            throw .storageFailure("abuse_blocks holds a subject this version cannot read (\(subject))")
        }
        return AbuseBlock(subject: parsed, until: until, reason: reason, created: created)
    }

    /// A stored attempt row, typed; an unreadable subscriber or destination is an error, as for counters.
    package static func storedAttempt(subscriber: String, destination: String, bucket: Int, attempts: Int,
                                      firstSeen: Int, lastSeen: Int) throws(DirectoryError) -> StoredOP25BAttempt {
        guard let parsedDestination = IPAddress(parsing: destination) else {
            throw .storageFailure("op25b_attempts holds a destination this version cannot read (\(destination))")
        }
        return StoredOP25BAttempt(subscriber: try OP25BAttemptSummary.storedSubscriber(subscriber), destination: parsedDestination,
                                  bucket: bucket, attempts: attempts, firstSeen: firstSeen, lastSeen: lastSeen)
    }

    /// A stored notice row, typed.
    package static func storedNotice(subscriber: String, notified: Int) throws(DirectoryError) -> StoredOP25BNotice {
        StoredOP25BNotice(subscriber: try OP25BAttemptSummary.storedSubscriber(subscriber), notified: notified)
    }

    /// The address of a stored account or alias, split as the directory keys it.
    package static func storedAddress(_ address: String) throws(DirectoryError) -> DirectoryAddress {
        guard let parsed = DirectoryAddress.lookup(address) else { throw .invalidAddress(address, reason: "it has no @") }
        return parsed
    }
}
