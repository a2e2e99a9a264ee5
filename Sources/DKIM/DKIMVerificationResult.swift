/// The outcome of checking one DKIM-Signature field (RFC 6376 §6.1, with the
/// result names of RFC 8601 §2.7.1).
public struct DKIMVerificationResult: Hashable, Sendable {
    /// What the check found.
    public enum Status: Hashable, Sendable {
        /// The signature verified.
        case pass
        /// The signature is well formed but does not match the message (altered
        /// header or body, wrong key, expired).
        case fail(String)
        /// The signature or its key record cannot be used (malformed, unknown
        /// algorithm, no key published).
        case permerror(String)
    }

    /// The `d=` tag, when it could be read.
    public let domain: String?
    /// The `s=` tag, when it could be read.
    public let selector: String?
    /// The `a=` tag, when it could be read.
    public let algorithm: String?
    /// The verdict.
    public let status: Status

    /// True for ``Status/pass``.
    public var passed: Bool { status == .pass }
}
