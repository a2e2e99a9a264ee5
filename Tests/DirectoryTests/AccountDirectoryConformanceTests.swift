import Foundation
import Testing
@testable import Directory

/// The behaviour every ``AccountDirectory`` backend must show. Each test runs once per backend.
@Suite("AccountDirectory conformance")
struct AccountDirectoryConformanceTests {
    /// Runs `body` against a fresh directory of `backend` and removes it afterwards.
    func withDirectory(_ backend: Backend, _ body: (any AccountDirectory) async throws -> Void) async throws {
        let (directory, cleanup) = try await backend.make()
        try await withCleanup(cleanup) { try await body(directory) }
    }

    // MARK: Domains

    @Test("domains: add, list, hosted check is case-insensitive, remove", arguments: Backend.allCases)
    func domains(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            let added = try await directory.addDomain("Alato.EXAMPLE", kind: .primary)
            #expect(added.name == "alato.example")
            #expect(added.kind == .primary)
            try await directory.addDomain("virtual.example")
            let listed = try await directory.listDomains()
            #expect(listed.map(\.name) == ["alato.example", "virtual.example"])
            #expect(listed.map(\.kind) == [.primary, .virtual])
            #expect(try await directory.isHostedDomain("ALATO.example"))
            #expect(try await directory.isHostedDomain("virtual.example"))
            #expect(!(try await directory.isHostedDomain("example.net")))
            #expect(!(try await directory.isHostedDomain("alato.example.")))
            try await directory.removeDomain("VIRTUAL.example")
            #expect(!(try await directory.isHostedDomain("virtual.example")))
            #expect(try await directory.listDomains().map(\.name) == ["alato.example"])
        }
    }

    @Test("domains: duplicates, invalid names, unknown removal and removal while in use fail", arguments: Backend.allCases)
    func domainErrors(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example")
            await #expect(throws: DirectoryError.domainAlreadyHosted("alato.example")) {
                try await directory.addDomain("ALATO.example")
            }
            await #expect(throws: DirectoryError.self) { try await directory.addDomain("bücher.example") }
            await #expect(throws: DirectoryError.self) { try await directory.addDomain("bad_name.example") }
            await #expect(throws: DirectoryError.domainNotHosted("example.org")) {
                try await directory.removeDomain("example.org")
            }
            try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))
            try await directory.addAlias("info@alato.example", target: "taro@alato.example")
            await #expect(throws: DirectoryError.domainInUse("alato.example", accounts: 1, aliases: 1)) {
                try await directory.removeDomain("alato.example")
            }
        }
    }

    // MARK: Users

    @Test("users: add, look up case-insensitively, list, disable, enable, remove", arguments: Backend.allCases)
    func users(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addDomain("virtual.example")
            let taro = try await directory.addUser("Taro@ALATO.example", password: Password("pw-taro-1"))
            #expect(taro.address == "Taro@alato.example")
            #expect(taro.domain == "alato.example")
            #expect(taro.isEnabled)
            try await directory.addUser("hanako@virtual.example", password: Password("pw-hanako-1"))

            #expect(try await directory.user("taro@alato.example")?.address == "Taro@alato.example")
            #expect(try await directory.user("TARO@Alato.Example")?.address == "Taro@alato.example")
            #expect(try await directory.user("jiro@alato.example") == nil)
            #expect(try await directory.user("no-at-sign") == nil)

            #expect(try await directory.listUsers().map(\.address) == ["Taro@alato.example", "hanako@virtual.example"])
            #expect(try await directory.listUsers(domain: "VIRTUAL.example").map(\.address) == ["hanako@virtual.example"])

            try await directory.disableUser("taro@alato.example")
            #expect(try await directory.user("taro@alato.example")?.isEnabled == false)
            try await directory.enableUser("TARO@alato.example")
            #expect(try await directory.user("taro@alato.example")?.isEnabled == true)

            try await directory.removeUser("taro@ALATO.example")
            #expect(try await directory.user("taro@alato.example") == nil)
            #expect(try await directory.listUsers().map(\.address) == ["hanako@virtual.example"])
        }
    }

    @Test("users: unhosted domain, duplicates, unknown users and bad imports fail", arguments: Backend.allCases)
    func userErrors(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            await #expect(throws: DirectoryError.domainNotHosted("example.org")) {
                try await directory.addUser("someone@Example.ORG", password: Password("pw"))
            }
            try await directory.addDomain("alato.example")
            try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))
            await #expect(throws: DirectoryError.userAlreadyExists("TARO@alato.example")) {
                try await directory.addUser("TARO@alato.example", password: Password("other"))
            }
            await #expect(throws: DirectoryError.self) { try await directory.addUser("not an address", password: Password("pw")) }
            await #expect(throws: DirectoryError.invalidPassword(reason: "the password is empty")) {
                try await directory.addUser("empty@alato.example", password: Password(""))
            }
            await #expect(throws: DirectoryError.unsupportedPasswordHash(user: "imported@alato.example")) {
                try await directory.addUser("imported@alato.example", passwordHash: "$1$saltsalt$abcdefghijklmnopqrstuv")
            }
            await #expect(throws: DirectoryError.unsupportedPasswordHash(user: "locked@alato.example")) {
                try await directory.addUser("locked@alato.example", passwordHash: "!")
            }
            for operation in [
                { try await directory.disableUser("jiro@alato.example") },
                { try await directory.enableUser("jiro@alato.example") },
                { try await directory.removeUser("jiro@alato.example") },
                { try await directory.setPassword("jiro@alato.example", password: Password("pw")) },
            ] as [() async throws -> Void] {
                await #expect(throws: DirectoryError.userNotFound("jiro@alato.example")) { try await operation() }
            }
        }
    }

    // MARK: Authentication

    @Test("authentication: success, wrong password, unknown user, disabled, password change", arguments: Backend.allCases)
    func authentication(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addUser("Taro@alato.example", password: Password("pw-taro-1"))

            let success = try await directory.authenticate(username: "taro@ALATO.example", password: Password("pw-taro-1"))
            guard case .success(let account) = success else {
                Issue.record("expected success, got \(success)")
                return
            }
            #expect(account.address == "Taro@alato.example")

            #expect(try await directory.authenticate(username: "taro@alato.example", password: Password("pw-taro-2")) == .invalidCredentials)
            #expect(try await directory.authenticate(username: "jiro@alato.example", password: Password("pw-taro-1")) == .invalidCredentials)
            #expect(try await directory.authenticate(username: "taro@example.org", password: Password("pw-taro-1")) == .invalidCredentials)
            #expect(try await directory.authenticate(username: "taro", password: Password("pw-taro-1")) == .invalidCredentials)

            try await directory.disableUser("taro@alato.example")
            #expect(try await directory.authenticate(username: "taro@alato.example", password: Password("pw-taro-1")) == .disabled)
            // A wrong password on a disabled account must not reveal that it is disabled.
            #expect(try await directory.authenticate(username: "taro@alato.example", password: Password("nope")) == .invalidCredentials)
            try await directory.enableUser("taro@alato.example")

            try await directory.setPassword("taro@alato.example", password: Password("pw-taro-2"))
            #expect(try await directory.authenticate(username: "taro@alato.example", password: Password("pw-taro-1")) == .invalidCredentials)
            if case .success = try await directory.authenticate(username: "taro@alato.example", password: Password("pw-taro-2")) {} else {
                Issue.record("the new password should work")
            }
        }
    }

    @Test("authentication: imported hashes of other methods work", arguments: Backend.allCases, ["$2b$", "$2y$", "$6$"])
    func importedHashes(backend: Backend, method: String) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("virtual.example")
            let hash = try PasswordHasher(methodPrefix: method).hash(Password("imported-pw"))
            try await directory.addUser("old@virtual.example", passwordHash: hash)
            if case .success = try await directory.authenticate(username: "old@virtual.example", password: Password("imported-pw")) {} else {
                Issue.record("imported \(method) hash should verify")
            }
            #expect(try await directory.authenticate(username: "old@virtual.example", password: Password("imported-PW")) == .invalidCredentials)
        }
    }

    // MARK: Aliases and resolution

    @Test("aliases: add, list, remove; alias domain must be hosted; no clash with accounts", arguments: Backend.allCases)
    func aliases(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addUser("taro@alato.example", password: Password("pw-taro-1"))
            try await directory.addAlias("Info@alato.example", target: "taro@alato.example")
            try await directory.addAlias("info@alato.example", target: "someone@example.net")
            let listed = try await directory.listAliases()
            // Sorted by alias (case-insensitively), then target; each row keeps the spelling it was added with.
            #expect(listed.map(\.alias) == ["info@alato.example", "Info@alato.example"])
            #expect(listed.map(\.target) == ["someone@example.net", "taro@alato.example"])

            await #expect(throws: DirectoryError.aliasAlreadyExists(alias: "INFO@alato.example", target: "Taro@alato.example")) {
                try await directory.addAlias("INFO@alato.example", target: "Taro@alato.example")
            }
            await #expect(throws: DirectoryError.domainNotHosted("example.org")) {
                try await directory.addAlias("info@example.org", target: "taro@alato.example")
            }
            await #expect(throws: DirectoryError.addressIsUser("Taro@alato.example")) {
                try await directory.addAlias("Taro@alato.example", target: "someone@example.net")
            }
            await #expect(throws: DirectoryError.addressIsAlias("info@alato.example")) {
                try await directory.addUser("info@alato.example", password: Password("pw"))
            }
            await #expect(throws: DirectoryError.self) {
                try await directory.addAlias("self@alato.example", target: "SELF@alato.example")
            }

            try await directory.removeAlias("info@alato.example", target: "someone@EXAMPLE.net")
            #expect(try await directory.listAliases().map(\.target) == ["taro@alato.example"])
            try await directory.removeAlias("INFO@alato.example")
            #expect(try await directory.listAliases().isEmpty)
            await #expect(throws: DirectoryError.aliasNotFound("info@alato.example", target: nil)) {
                try await directory.removeAlias("info@alato.example")
            }
        }
    }

    @Test("recipient resolution: hosted, unknown, aliases, chains, forwards, loops", arguments: Backend.allCases)
    func resolution(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addDomain("virtual.example")
            try await directory.addUser("Taro@alato.example", password: Password("pw-taro-1"))
            try await directory.addUser("hanako@virtual.example", password: Password("pw-hanako-1"))
            try await directory.addAlias("postmaster@alato.example", target: "taro@alato.example")
            try await directory.addAlias("team@alato.example", target: "postmaster@alato.example")  // chain
            try await directory.addAlias("team@alato.example", target: "hanako@virtual.example")
            try await directory.addAlias("team@alato.example", target: "Partner@Example.NET")  // outside
            try await directory.addAlias("away@virtual.example", target: "hanako@example.org")
            try await directory.addAlias("loop-a@alato.example", target: "loop-b@alato.example")
            try await directory.addAlias("loop-b@alato.example", target: "loop-a@alato.example")
            try await directory.addAlias("dangling@alato.example", target: "gone@alato.example")

            #expect(try await directory.resolveRecipient("user@example.net") == .notHosted)
            #expect(try await directory.resolveRecipient("user@example.net.") == .notHosted)
            #expect(try await directory.resolveRecipient("user@[198.51.100.7]") == .notHosted)
            #expect(try await directory.resolveRecipient("postmaster") == .notHosted)
            #expect(try await directory.resolveRecipient("jiro@alato.example") == .unknownUser)
            #expect(try await directory.resolveRecipient("\"user@example.net\"@alato.example") == .unknownUser)
            #expect(try await directory.resolveRecipient("taro@ALATO.EXAMPLE") == .local(mailboxes: ["Taro@alato.example"], forwards: []))
            #expect(try await directory.resolveRecipient("TARO@alato.example") == .local(mailboxes: ["Taro@alato.example"], forwards: []))
            #expect(try await directory.resolveRecipient("PostMaster@alato.example") == .local(mailboxes: ["Taro@alato.example"], forwards: []))
            #expect(try await directory.resolveRecipient("team@alato.example")
                == .local(mailboxes: ["Taro@alato.example", "hanako@virtual.example"], forwards: ["Partner@example.net"]))
            #expect(try await directory.resolveRecipient("away@virtual.example") == .local(mailboxes: [], forwards: ["hanako@example.org"]))
            #expect(try await directory.resolveRecipient("loop-a@alato.example") == .unknownUser)
            #expect(try await directory.resolveRecipient("dangling@alato.example") == .unknownUser)

            // A disabled account still receives mail.
            try await directory.disableUser("taro@alato.example")
            #expect(try await directory.resolveRecipient("taro@alato.example") == .local(mailboxes: ["Taro@alato.example"], forwards: []))
        }
    }

    @Test("recipient resolution stops at the alias depth limit", arguments: Backend.allCases)
    func aliasDepth(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example")
            try await directory.addUser("end@alato.example", password: Password("pw"))
            // hop0 → hop1 → … → hop(n-1) → end: n alias levels.
            let levels = 20
            for index in 0..<levels {
                let target = index == levels - 1 ? "end@alato.example" : "hop\(index + 1)@alato.example"
                try await directory.addAlias("hop\(index)@alato.example", target: target)
            }
            let shallow = "hop\(levels - 3)@alato.example"  // 3 levels
            #expect(try await directory.resolveRecipient(shallow) == .local(mailboxes: ["end@alato.example"], forwards: []))
            await #expect(throws: DirectoryError.self) { try await directory.resolveRecipient("hop0@alato.example") }
        }
    }

    @Test("sender identity: own address and aliases that reach the account", arguments: Backend.allCases)
    func senderIdentity(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            try await directory.addDomain("alato.example", kind: .primary)
            try await directory.addUser("Taro@alato.example", password: Password("pw-taro-1"))
            try await directory.addUser("hanako@alato.example", password: Password("pw-hanako-1"))
            try await directory.addAlias("t.yamada@alato.example", target: "taro@alato.example")
            try await directory.addAlias("sales@alato.example", target: "t.yamada@alato.example")
            try await directory.addAlias("hanako.s@alato.example", target: "hanako@alato.example")

            let owned = try await directory.addressesOwned(by: "TARO@alato.example")
            #expect(Set(owned) == ["Taro@alato.example", "t.yamada@alato.example", "sales@alato.example"])
            #expect(owned.first == "Taro@alato.example")

            #expect(try await directory.mayAccount("taro@alato.example", sendAs: "taro@ALATO.example"))
            #expect(try await directory.mayAccount("taro@alato.example", sendAs: "T.Yamada@alato.example"))
            #expect(try await directory.mayAccount("taro@alato.example", sendAs: "sales@alato.example"))
            #expect(!(try await directory.mayAccount("taro@alato.example", sendAs: "hanako@alato.example")))
            #expect(!(try await directory.mayAccount("taro@alato.example", sendAs: "hanako.s@alato.example")))
            #expect(!(try await directory.mayAccount("taro@alato.example", sendAs: "taro@example.net")))
            #expect(!(try await directory.mayAccount("taro@alato.example", sendAs: "")))
            #expect(!(try await directory.mayAccount("jiro@alato.example", sendAs: "jiro@alato.example")))
            await #expect(throws: DirectoryError.userNotFound("jiro@alato.example")) {
                try await directory.addressesOwned(by: "jiro@alato.example")
            }
        }
    }

    // MARK: OP25B exemptions

    @Test("OP25B exemptions: add, list, remove, duplicates and absent entries", arguments: Backend.allCases)
    func exemptions(backend: Backend) async throws {
        try await withDirectory(backend) { directory in
            let until = Date(timeIntervalSince1970: 1_900_000_000)
            let added = try await directory.addExemption(prefix: "203.0.113.7", reason: "ticket 42: own mail server", until: until)
            #expect(added.prefix == "203.0.113.7/32")
            try await directory.addExemption(prefix: "2001:DB8:100::/48", reason: "business line", until: nil)

            let listed = try await directory.listExemptions()
            #expect(listed.map(\.prefix) == ["2001:db8:100::/48", "203.0.113.7/32"])
            #expect(listed.map(\.reason) == ["business line", "ticket 42: own mail server"])
            #expect(listed[0].until == nil)
            #expect(listed[1].until == until)

            await #expect(throws: DirectoryError.exemptionAlreadyExists("203.0.113.7/32")) {
                try await directory.addExemption(prefix: "203.0.113.7/32", reason: "again", until: nil)
            }
            await #expect(throws: DirectoryError.self) {
                try await directory.addExemption(prefix: "not-a-prefix", reason: "x", until: nil)
            }
            try await directory.removeExemption(prefix: "203.0.113.7")
            #expect(try await directory.listExemptions().map(\.prefix) == ["2001:db8:100::/48"])
            await #expect(throws: DirectoryError.exemptionNotFound("203.0.113.7/32")) {
                try await directory.removeExemption(prefix: "203.0.113.7/32")
            }
        }
    }
}
