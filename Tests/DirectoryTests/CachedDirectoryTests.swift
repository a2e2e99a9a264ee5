import Foundation
@testable import Directory
import Testing

/// The session's directory cache: answers, negative ones too, live for the TTL on an
/// injected clock; writes through the cache clear it; authentication is never cached. Writes to
/// `raw` stand for the command line, another process.
@Suite struct CachedDirectoryTests {
    struct Setup {
        let folder: TemporaryFolder
        let raw: SQLiteDirectory
        let cache: CachedDirectory
        let clock = ManualClock()

        init() async throws {
            folder = try TemporaryFolder()
            raw = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite")
            try await raw.addDomain("alato.example")
            try await raw.addUser("taro@alato.example", password: Password("a-long-password-1"))
            let clock = self.clock
            cache = CachedDirectory(raw, ttl: 5, clock: { clock.now })
        }
    }

    @Test("hosted domains: both answers are kept for the TTL, then read again")
    func hostedDomainsExpire() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        #expect(setup.cache.cachedIsHostedDomain("example.org") == .miss)
        #expect(try await setup.cache.isHostedDomain("example.org") == false)
        #expect(setup.cache.cachedIsHostedDomain("EXAMPLE.org") == .hit(false))
        try await setup.raw.addDomain("example.org")
        setup.clock.advance(seconds: 4.9)
        #expect(try await setup.cache.isHostedDomain("example.org") == false)
        setup.clock.advance(seconds: 0.1)
        #expect(setup.cache.cachedIsHostedDomain("example.org") == .miss)
        #expect(try await setup.cache.isHostedDomain("example.org") == true)
        #expect(setup.cache.cachedIsHostedDomain("example.org") == .hit(true))
    }

    @Test("recipients: unknown users are cached too, and expire")
    func recipientsExpire() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        #expect(try await setup.cache.resolveRecipient("hanako@alato.example") == .unknownUser)
        #expect(setup.cache.cachedResolution(of: "hanako@alato.example") == .hit(.unknownUser))
        try await setup.raw.addUser("hanako@alato.example", password: Password("a-long-password-2"))
        #expect(try await setup.cache.resolveRecipient("hanako@alato.example") == .unknownUser)
        setup.clock.advance(seconds: 5)
        #expect(try await setup.cache.resolveRecipient("hanako@alato.example") == .local(mailboxes: ["hanako@alato.example"], forwards: []))
    }

    @Test("sender ownership is cached and expires")
    func ownershipExpires() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        #expect(try await setup.cache.mayAccount("taro@alato.example", sendAs: "info@alato.example") == false)
        try await setup.raw.addAlias("info@alato.example", target: "taro@alato.example")
        #expect(setup.cache.cachedMayAccount("taro@alato.example", sendAs: "info@alato.example") == .hit(false))
        setup.clock.advance(seconds: 6)
        #expect(setup.cache.cachedMayAccount("taro@alato.example", sendAs: "info@alato.example") == .miss)
        #expect(try await setup.cache.mayAccount("taro@alato.example", sendAs: "info@alato.example") == true)
    }

    @Test("writes through the cache take effect at once")
    func localWritesClearTheCache() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        #expect(try await setup.cache.isHostedDomain("example.org") == false)
        #expect(try await setup.cache.resolveRecipient("jiro@alato.example") == .unknownUser)
        try await setup.cache.addDomain("example.org")
        try await setup.cache.addUser("jiro@alato.example", password: Password("a-long-password-3"))
        #expect(setup.cache.cachedIsHostedDomain("example.org") == .miss)
        #expect(try await setup.cache.isHostedDomain("example.org") == true)
        #expect(try await setup.cache.resolveRecipient("jiro@alato.example") == .local(mailboxes: ["jiro@alato.example"], forwards: []))
    }

    @Test("authentication is never cached")
    func authenticationIsNotCached() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let first = try await setup.cache.authenticate(username: "taro@alato.example", password: Password("a-long-password-1"))
        guard case .success = first else {
            Issue.record("the right password was refused: \(first)")
            return
        }
        try await setup.raw.disableUser("taro@alato.example")
        let second = try await setup.cache.authenticate(username: "taro@alato.example", password: Password("a-long-password-1"))
        #expect(second == .disabled)
    }

    @Test("a clock that goes back expires the cached answers")
    func clockGoingBackExpires() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        #expect(try await setup.cache.isHostedDomain("alato.example") == true)
        setup.clock.advance(seconds: -1)
        #expect(setup.cache.cachedIsHostedDomain("alato.example") == .miss)
    }

    @Test("the number of cached answers is bounded")
    func bounded() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let clock = setup.clock
        let small = CachedDirectory(setup.raw, ttl: 5, maximumEntries: 3, clock: { clock.now })
        for index in 0..<10 { _ = try await small.resolveRecipient("nobody\(index)@alato.example") }
        let cached = (0..<10).filter { small.cachedResolution(of: "nobody\($0)@alato.example") != .miss }
        #expect(cached.count <= 3)
        #expect(cached.contains(9))
    }
}
