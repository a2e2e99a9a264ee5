import CCrypt
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Password hashing with the system's libxcrypt.
///
/// New hashes use yescrypt (`$y$`) at libxcrypt's default cost, which is what
/// Debian's own `passwd` uses. Verification accepts every method that libxcrypt
/// reports as current (`crypt_checksalt` returns `CRYPT_SALT_OK`): yescrypt
/// `$y$`, gost-yescrypt `$gy$`, scrypt `$7$`, bcrypt `$2b$`/`$2y$` and
/// SHA-512-crypt `$6$`, so an ISP can import existing Dovecot or Postfix
/// (Cyrus) hashes. Legacy methods (DES, MD5-crypt `$1$`, SHA-256-crypt `$5$` on
/// Debian's build) are refused: DES silently truncates passwords to 8 octets.
///
/// Each call allocates its own `struct crypt_data` on the heap (about 32 KiB,
/// too big for a cooperative thread's stack) and uses the reentrant `crypt_rn`,
/// so one hasher may be used from many threads at once.
public struct PasswordHasher: PasswordHashing {
    /// The method prefix for new hashes, e.g. `$y$`.
    public let methodPrefix: String
    /// The cost passed to `crypt_gensalt_rn`; 0 means libxcrypt's default for the method.
    public let cost: UInt

    /// Creates a hasher that makes yescrypt hashes at libxcrypt's default cost.
    public init() {
        self.init(methodPrefix: "$y$", cost: 0)
    }

    /// Creates a hasher for another libxcrypt method (tests use `$2b$` and `$6$` to make import fixtures).
    public init(methodPrefix: String, cost: UInt = 0) {
        self.methodPrefix = methodPrefix
        self.cost = cost
    }

    /// Hashes `password` with a random salt from the operating system.
    ///
    /// - Throws: ``DirectoryError/invalidPassword(reason:)`` for an empty password or one
    ///   containing NUL (crypt takes C strings; a NUL would silently truncate it), and
    ///   ``DirectoryError/hashingFailed(method:)`` when libxcrypt refuses the method.
    public func hash(_ password: Password) throws -> String {
        guard !password.isEmpty else {
            throw DirectoryError.invalidPassword(reason: "the password is empty")
        }
        guard !password.bytes.contains(0) else {
            throw DirectoryError.invalidPassword(reason: "the password contains a NUL character")
        }
        var settingBuffer = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        // A null random-bytes pointer makes libxcrypt read the OS random source itself.
        let setting: String? = settingBuffer.withUnsafeMutableBufferPointer { buffer in
            guard let result = crypt_gensalt_rn(methodPrefix, cost, nil, 0, buffer.baseAddress, Int32(buffer.count)) else {
                return nil
            }
            return String(cString: result)
        }
        guard let setting, !setting.hasPrefix("*") else {
            throw DirectoryError.hashingFailed(method: methodPrefix)
        }
        guard let hashed = Self.crypt(password, setting: setting), !hashed.hasPrefix("*") else {
            throw DirectoryError.hashingFailed(method: methodPrefix)
        }
        return hashed
    }

    /// Checks `password` against `storedHash` and compares the result in constant time.
    public func verify(_ password: Password, against storedHash: String) -> Bool {
        guard Self.hasCurrentMethod(storedHash), !password.bytes.contains(0) else { return false }
        // crypt signals failure with "*0" or "*1" (never a valid hash), or a null pointer.
        guard let computed = Self.crypt(password, setting: storedHash), !computed.hasPrefix("*") else {
            return false
        }
        return Self.constantTimeEquals(Array(computed.utf8), Array(storedHash.utf8))
    }

    /// Whether `storedHash` is a complete hash of a current libxcrypt method.
    ///
    /// Besides the method check of ``verify(_:against:)`` this runs one hash computation with a
    /// probe password: a complete hash yields a result of the same length and the same settings
    /// (everything up to the last `$`). That catches truncated imports and impossible costs.
    public func canVerify(_ storedHash: String) -> Bool {
        guard Self.hasCurrentMethod(storedHash) else { return false }
        guard let probe = Self.crypt(Password("portcullis-probe"), setting: storedHash), !probe.hasPrefix("*") else {
            return false
        }
        guard let settingsEnd = storedHash.lastIndex(of: "$"), settingsEnd > storedHash.startIndex,
              storedHash.index(after: settingsEnd) < storedHash.endIndex else { return false }
        return probe.utf8.count == storedHash.utf8.count && probe.hasPrefix(storedHash[...settingsEnd])
    }

    /// Cheap checks: not locked, printable ASCII, and a method libxcrypt calls current.
    ///
    /// A leading `*` or `!` is the conventional mark of a locked account (shadow(5)) and is refused.
    private static func hasCurrentMethod(_ storedHash: String) -> Bool {
        guard let first = storedHash.utf8.first, first != UInt8(ascii: "*"), first != UInt8(ascii: "!") else {
            return false
        }
        guard storedHash.utf8.count < Int(CRYPT_OUTPUT_SIZE) else { return false }
        // Hashes are printable ASCII; anything else is damage or an attempt to smuggle a NUL.
        guard storedHash.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        return crypt_checksalt(storedHash) == CRYPT_SALT_OK
    }

    /// Runs `crypt_rn` with a heap-allocated, zeroed `crypt_data` and wipes it afterwards.
    private static func crypt(_ password: Password, setting: String) -> String? {
        let size = MemoryLayout<crypt_data>.size
        guard let raw = calloc(1, size) else { return nil }
        defer {
            // The work area holds password-derived state; wipe it before returning it to malloc.
            explicit_bzero(raw, size)
            free(raw)
        }
        var phrase = password.bytes.map { CChar(bitPattern: $0) }
        phrase.append(0)
        defer { phrase.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }
        let output: String? = phrase.withUnsafeBufferPointer { phrasePointer in
            guard let result = crypt_rn(phrasePointer.baseAddress, setting, raw, Int32(size)) else {
                return nil
            }
            return String(cString: result)
        }
        return output
    }

    /// Compares two byte strings without an early exit, so the time taken does not reveal
    /// how long a matching prefix was. The length is not secret (it follows from the method).
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}
