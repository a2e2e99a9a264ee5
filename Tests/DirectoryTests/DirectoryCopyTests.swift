import Foundation
import Policy
import PostgresDirectory
import TestSupport
import Testing
@testable import Directory

/// `portcullis directory copy` below the command line: a whole directory between SQLite and a
/// private PostgreSQL server, checked through the target's own look-ups.
@Suite struct DirectoryCopyTests {
    /// Whole seconds: exact in a Double, so a date read back from either back end compares equal.
    static let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    static let later = now.addingTimeInterval(3600)
    static let sendCounter = AbuseCounter(.messages, .account("taro@alato.example"))

    /// An empty directory of `backend`, as a copy end; `cleanup` closes it and removes its storage.
    func make(_ backend: Backend) async throws -> (directory: any DirectoryTransfer, cleanup: @Sendable () async -> Void) {
        let (directory, cleanup) = try await backend.make()
        return (try #require(directory as? any DirectoryTransfer), cleanup)
    }

    /// One of everything a directory stores.
    func populate(_ directory: any DirectoryTransfer) async throws {
        try await directory.addDomain("alato.example", kind: .primary)
        try await directory.addDomain("virtual.example")
        try await directory.addUser("Taro@alato.example", password: Password("pw-taro-1"))
        try await directory.addUser("jiro@alato.example", password: Password("pw-jiro-1"))
        try await directory.disableUser("jiro@alato.example")
        try await directory.addUser("hanako@virtual.example", passwordHash: PasswordHasher(methodPrefix: "$6$").hash(Password("pw-hanako-1")))
        try await directory.addAlias("info@alato.example", target: "taro@alato.example")
        try await directory.addAlias("sales@virtual.example", target: "hanako@virtual.example")
        try await directory.addAlias("sales@virtual.example", target: "partner@elsewhere.example")
        try await directory.addExemption(prefix: "203.0.113.7", reason: "own mail server", until: nil)
        try await directory.addExemption(prefix: "2001:db8:100::/48", reason: "ticket 42", until: Self.later)
        try await directory.setLimits(AccountLimits(messagesPerHour: 5, recipientsPerDay: nil), for: "taro@alato.example")
        try await directory.suspend("hanako@virtual.example", reason: "40 messages in 5 minutes", at: Self.now)
        try await directory.block(.account("jiro@alato.example"), until: Self.later, reason: "10 failed logins", at: Self.now)
        try await directory.block(.address("198.51.100.9"), until: Self.later, reason: "20 failed logins", at: Self.now)
        try await directory.recordSuccessfulLogin(account: "taro@alato.example", client: "192.0.2.1", at: Self.now)
        _ = try await directory.add(3, to: Self.sendCounter, at: Self.now,
                                    window: SlidingWindow(windowSeconds: 3600, bucketSeconds: 60), limit: nil)
        try await directory.recordAttempts([
            OP25BAttemptTracker.Delta(subscriber: OP25BSubscriber(address: try IPAddress("2001:db8:1:2::a")),
                                      destination: try IPAddress("2001:db8:ff::25"), attempts: 150),
        ], at: Self.now)
        _ = try await directory.claimOffenderNotice(for: OP25BSubscriber(address: try IPAddress("2001:db8:1:2::a")),
                                                    at: Self.now, interval: 86_400)
    }

    /// What `populate` stored, asked of `directory` the way the servers ask.
    func expectPopulated(_ directory: any DirectoryTransfer) async throws {
        #expect(try await directory.listDomains().map { "\($0.name) \($0.kind)" } == ["alato.example primary", "virtual.example virtual"])
        #expect(try await directory.listUsers().map(\.address) == ["jiro@alato.example", "Taro@alato.example", "hanako@virtual.example"])
        // The original passwords, through hashes that were moved, not re-made.
        guard case .success(let taro) = try await directory.authenticate(username: "taro@ALATO.example", password: Password("pw-taro-1")) else {
            Issue.record("taro cannot log in with his password")
            return
        }
        #expect(taro.address == "Taro@alato.example")
        #expect(try await directory.authenticate(username: "taro@alato.example", password: Password("wrong")) == .invalidCredentials)
        #expect(try await directory.authenticate(username: "jiro@alato.example", password: Password("pw-jiro-1")) == .disabled)
        guard case .success = try await directory.authenticate(username: "hanako@virtual.example", password: Password("pw-hanako-1")) else {
            Issue.record("hanako's imported SHA-512-crypt hash does not verify")
            return
        }
        #expect(try await directory.resolveRecipient("INFO@alato.example") == .local(mailboxes: ["Taro@alato.example"], forwards: []))
        #expect(try await directory.resolveRecipient("sales@virtual.example")
                == .local(mailboxes: ["hanako@virtual.example"], forwards: ["partner@elsewhere.example"]))
        #expect(try await directory.mayAccount("taro@alato.example", sendAs: "info@alato.example"))
        #expect(try await directory.listExemptions().map(\.prefix) == ["2001:db8:100::/48", "203.0.113.7/32"])
        #expect(try await directory.listExemptions().first?.until == Self.later)
        #expect(try await directory.limits(for: "taro@alato.example") == AccountLimits(messagesPerHour: 5))
        #expect(try await directory.suspension(of: "hanako@virtual.example")?.isActive == true)
        #expect(try await directory.activeBlock(on: .account("jiro@alato.example"), at: Self.now)?.reason == "10 failed logins")
        #expect(try await directory.activeBlock(on: .address("198.51.100.9"), at: Self.now) != nil)
        #expect(try await directory.hasLoggedIn(account: "Taro@alato.example", client: "192.0.2.1"))
        #expect(try await directory.buckets(of: Self.sendCounter, startingAfter: 0).map(\.amount).reduce(0, +) == 3)
        let attempts = try await directory.attemptSummaries(since: Self.now.addingTimeInterval(-86_400))
        #expect(attempts.map { "\($0.subscriber) \($0.attempts) \($0.destinations)" } == ["2001:db8:1:2::/64 150 1"])
        #expect(try await !directory.claimOffenderNotice(for: OP25BSubscriber(address: try IPAddress("2001:db8:1:2::b")),
                                                         at: Self.now, interval: 86_400))
    }

    @Test("a whole directory moves between back ends: passwords, states, aliases, exemptions and abuse state work on the target",
          arguments: [(Backend.sqlite, Backend.postgres), (.postgres, .sqlite), (.sqlite, .sqlite), (.postgres, .postgres)])
    func copies(from sourceKind: Backend, to targetKind: Backend) async throws {
        let (source, closeSource) = try await make(sourceKind)
        let (target, closeTarget) = try await make(targetKind)
        try await withCleanup({ await closeSource(); await closeTarget() }) {
            try await populate(source)
            let copied = try await DirectoryCopy.run(from: source, to: target)
            #expect(copied == DirectoryContents(domains: 2, accounts: 3, aliases: 3, exemptions: 2, accountLimits: 1,
                                                suspensions: 1, knownLogins: 1, blocks: 2, counterBuckets: 1,
                                                op25bAttemptBuckets: 1, op25bNotices: 1))
            try await expectPopulated(target)
            // The hashes are the source's, byte for byte.
            let hashes = { (snapshot: DirectorySnapshot) in snapshot.accounts.map(\.passwordHash) }
            #expect(hashes(try await target.exportSnapshot()) == hashes(try await source.exportSnapshot()))
            #expect(try await target.exportSnapshot().contents == copied)
        }
    }

    @Test("a target that holds anything is refused, named in the error, and left as it was", arguments: Backend.allCases)
    func nonEmptyTarget(targetKind: Backend) async throws {
        let (source, closeSource) = try await make(.sqlite)
        let (target, closeTarget) = try await make(targetKind)
        try await withCleanup({ await closeSource(); await closeTarget() }) {
            try await populate(source)
            try await target.addDomain("other.example")
            try await target.addUser("saburo@other.example", password: Password("pw-saburo-1"))
            let before = try await target.exportSnapshot()
            let error = await #expect(throws: DirectoryError.self) { try await DirectoryCopy.run(from: source, to: target) }
            #expect(error == .directoryNotEmpty(DirectoryContents(domains: 1, accounts: 1)))
            #expect(error?.description.contains("it holds 1 domains, 1 accounts") == true)
            #expect(try await target.exportSnapshot() == before)
            guard case .success = try await target.authenticate(username: "saburo@other.example", password: Password("pw-saburo-1")) else {
                Issue.record("the refused target's own account changed")
                return
            }
        }
    }

    @Test("a difference found while importing rolls the whole copy back", arguments: Backend.allCases)
    func failedVerificationRollsBack(targetKind: Backend) async throws {
        let (source, closeSource) = try await make(.sqlite)
        let (target, closeTarget) = try await make(targetKind)
        try await withCleanup({ await closeSource(); await closeTarget() }) {
            try await populate(source)
            let snapshot = try await source.exportSnapshot()
            await #expect(throws: DirectoryError.copyMismatch("on purpose")) {
                try await target.importSnapshot(snapshot) { _ in throw DirectoryError.copyMismatch("on purpose") }
            }
            #expect(try await target.exportSnapshot().contents.isEmpty)
            // A row the database refuses half-way (an alias in a domain the snapshot lacks) too.
            var broken = snapshot
            broken.aliases.append(Alias(alias: "x@nowhere.example", target: "taro@alato.example", created: Self.now))
            await #expect(throws: DirectoryError.self) { try await target.importSnapshot(broken) { _ in } }
            #expect(try await target.exportSnapshot().contents.isEmpty)
        }
    }

    @Test("thousands of accounts go in batches, both ways", arguments: [(Backend.sqlite, Backend.postgres), (.postgres, .sqlite)])
    func manyAccounts(from sourceKind: Backend, to targetKind: Backend) async throws {
        let (source, closeSource) = try await make(sourceKind)
        let (target, closeTarget) = try await make(targetKind)
        try await withCleanup({ await closeSource(); await closeTarget() }) {
            // One real hash for everyone: hashing 5000 passwords would only test libxcrypt.
            let hash = try PasswordHasher().hash(Password("pw-many-1"))
            let count = 5000
            let accounts = (0..<count).map { index in
                DirectorySnapshot.StoredAccount(
                    account: Account(address: "user\(index)@alato.example", domain: "alato.example", isEnabled: index % 7 != 0, created: Self.now),
                    passwordHash: hash, limits: index % 3 == 0 ? AccountLimits(recipientsPerDay: index) : .none,
                    logins: [.init(client: "192.0.2.\(index % 250)", lastSuccess: Self.now)])
            }
            let aliases = (0..<count).map { Alias(alias: "alias\($0)@alato.example", target: "user\($0)@alato.example", created: Self.now) }
            let domains = [HostedDomain(name: "alato.example", kind: .primary, created: Self.now)]
            try await source.importSnapshot(DirectorySnapshot(domains: domains, accounts: accounts, aliases: aliases)) { _ in }
            let copied = try await DirectoryCopy.run(from: source, to: target)
            #expect(copied.accounts == count && copied.aliases == count && copied.knownLogins == count && copied.accountLimits == 1667)
            guard case .success = try await target.authenticate(username: "user4999@alato.example", password: Password("pw-many-1")) else {
                Issue.record("the last account cannot log in")
                return
            }
            #expect(try await target.authenticate(username: "user4998@alato.example", password: Password("pw-many-1")) == .disabled)
            #expect(try await target.resolveRecipient("alias4999@alato.example") == .local(mailboxes: ["user4999@alato.example"], forwards: []))
        }
    }

    @Test("a PostgreSQL target without the schema is refused and stays without it")
    func unmigratedTarget() async throws {
        let (source, closeSource) = try await make(.sqlite)
        let target = try await PostgresDatabase.make().open()
        try await withCleanup({ await closeSource(); await target.shutdown() }) {
            try await populate(source)
            let error = await #expect(throws: PostgresSchemaMismatch.self) { try await DirectoryCopy.run(from: source, to: target) }
            #expect(error?.status == .empty)
            #expect(error?.description.contains("portcullis directory migrate") == true)
            #expect(try await target.schemaStatus() == .empty)
        }
    }

    @Test("the copy's summary names only what is there")
    func contentsDescription() {
        #expect(DirectoryContents().description == "nothing")
        #expect(DirectoryContents(domains: 2, aliases: 1, counterBuckets: 4).description == "2 domains, 1 aliases, 4 rate-counter buckets")
        #expect("\(DirectorySnapshot.StoredAccount(account: Account(address: "taro@alato.example", domain: "alato.example", isEnabled: true, created: Self.now), passwordHash: "$y$secret"))" == "taro@alato.example")
    }
}
