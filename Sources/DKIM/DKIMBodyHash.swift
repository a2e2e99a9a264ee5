import Foundation

/// The SHA-256 hash of a canonicalized body: the `bh=` tag (RFC 6376 §3.5).
public struct DKIMBodyHash: Hashable, Sendable {
    /// The 32 digest bytes.
    public let digest: [UInt8]
    /// The body canonicalization the hash was computed with; it goes into `c=`.
    public let canonicalization: DKIMCanonicalization

    /// Wraps a digest computed elsewhere (for instance by ``DKIMBodyHasher``).
    public init(digest: [UInt8], canonicalization: DKIMCanonicalization) {
        self.digest = digest
        self.canonicalization = canonicalization
    }

    /// The hash of a whole body held in memory.
    public init(body: some Collection<UInt8>, canonicalization: DKIMCanonicalization = .relaxed) {
        var hasher = DKIMBodyHasher(canonicalization: canonicalization)
        hasher.update(body)
        self = hasher.finalize()
    }

    /// The base64 text of the `bh=` tag.
    public var base64: String { Data(digest).base64EncodedString() }
}
