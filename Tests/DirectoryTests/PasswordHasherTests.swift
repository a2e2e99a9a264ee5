import Testing
@testable import Directory

@Suite("PasswordHasher (libxcrypt)")
struct PasswordHasherTests {
    let hasher = PasswordHasher()

    @Test("new hashes are yescrypt, salted, and verify")
    func yescryptRoundTrip() throws {
        let first = try hasher.hash(Password("correct horse"))
        let second = try hasher.hash(Password("correct horse"))
        #expect(first.hasPrefix("$y$"))
        #expect(first != second, "each hash needs its own salt")
        #expect(hasher.verify(Password("correct horse"), against: first))
        #expect(hasher.verify(Password("correct horse"), against: second))
        #expect(!hasher.verify(Password("correct horsE"), against: first))
        #expect(!hasher.verify(Password(""), against: first))
    }

    /// Hashes made by libxcrypt itself with other methods stand for imports from Dovecot/Postfix.
    @Test("imported hashes of other current methods verify", arguments: ["$2b$", "$2y$", "$6$", "$7$", "$gy$"])
    func importedMethods(prefix: String) throws {
        let other = PasswordHasher(methodPrefix: prefix)
        let hash = try other.hash(Password("hunter2 ünïcode"))
        #expect(hash.hasPrefix(prefix))
        #expect(hasher.canVerify(hash))
        #expect(hasher.verify(Password("hunter2 ünïcode"), against: hash))
        #expect(!hasher.verify(Password("hunter3 ünïcode"), against: hash))
    }

    /// Made with `openssl passwd -6 -salt abcdefgh secret` (a tool other than libxcrypt).
    @Test("a SHA-512-crypt hash made by openssl verifies")
    func opensslFixture() {
        let fixture = "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."
        #expect(hasher.verify(Password("secret"), against: fixture))
        #expect(!hasher.verify(Password("Secret"), against: fixture))
    }

    @Test("locked, legacy and malformed hashes are refused", arguments: [
        "", "*", "*0", "*1", "!", "!$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG.",
        "ab01234567890",             // traditional DES: truncates passwords to 8 octets
        "$1$saltsalt$abcdefghijklmnopqrstuv",  // MD5-crypt
        "garbage", "$y$", "$6$", "$2b$99$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "$6$abc def$xyz", "$6$abc\u{0}$xyz",
    ])
    func refusedHashes(hash: String) {
        #expect(!hasher.canVerify(hash))
        #expect(!hasher.verify(Password(""), against: hash))
        #expect(!hasher.verify(Password("secret"), against: hash))
    }

    @Test("empty passwords and passwords with NUL are not hashed")
    func invalidPasswords() {
        #expect(throws: DirectoryError.self) { try hasher.hash(Password("")) }
        #expect(throws: DirectoryError.self) { try hasher.hash(Password(bytes: [0x61, 0x00, 0x62])) }
    }

    @Test("a password with NUL never matches the hash of its prefix")
    func nulTruncation() throws {
        let hash = try hasher.hash(Password("a"))
        #expect(!hasher.verify(Password(bytes: [0x61, 0x00, 0x62]), against: hash))
    }

    @Test("the hasher works from many threads at once")
    func concurrentUse() async throws {
        let hash = try hasher.hash(Password("parallel"))
        let hasher = self.hasher
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { hasher.verify(Password(index.isMultiple(of: 2) ? "parallel" : "wrong"), against: hash) }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 4)
    }

    @Test("constant-time comparison", arguments: [
        ([UInt8]([1, 2, 3]), [UInt8]([1, 2, 3]), true),
        ([1, 2, 3], [1, 2, 4], false),
        ([1, 2, 3], [1, 2], false),
        ([], [], true),
    ])
    func constantTimeEquals(lhs: [UInt8], rhs: [UInt8], equal: Bool) {
        #expect(PasswordHasher.constantTimeEquals(lhs, rhs) == equal)
    }
}

@Suite("Password")
struct PasswordTests {
    @Test("never prints its value")
    func redacted() {
        let password = Password("s3cr3t-value")
        #expect(!"\(password)".contains("s3cr3t"))
        #expect(!String(describing: password).contains("s3cr3t"))
        #expect(!String(reflecting: password).contains("s3cr3t"))
        var dumped = ""
        dump(password, to: &dumped)
        #expect(!dumped.contains("s3cr3t"))
        #expect(!"\([password])".contains("s3cr3t"))
    }
}
