/// Turns passwords into stored hashes and checks passwords against them.
///
/// Implementations are synchronous and CPU-heavy by design (a memory-hard KDF
/// takes tens of milliseconds); callers such as ``SQLiteDirectory`` run them on
/// a ``BlockingWorkPool`` and never on an event loop.
public protocol PasswordHashing: Sendable {
    /// Hashes `password` with a fresh random salt, returning a modular crypt string (`$y$…`).
    func hash(_ password: Password) throws -> String

    /// Whether `password` matches `storedHash`.
    ///
    /// Returns `false`, never throws, for a hash that is locked, malformed or of an
    /// unsupported method, so a damaged entry simply fails to authenticate.
    func verify(_ password: Password, against storedHash: String) -> Bool

    /// Whether `storedHash` is a hash this hasher can verify (used to validate imports).
    func canVerify(_ storedHash: String) -> Bool
}
