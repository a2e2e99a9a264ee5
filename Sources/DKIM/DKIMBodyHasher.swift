import Crypto

/// Computes the body hash (`bh=`, RFC 6376 §3.7) of a body that arrives in chunks.
///
/// Feed the body as the server receives it, then ask for the hash; memory use
/// is constant (a 32 KiB buffer between the canonicalizer and SHA-256), so a
/// 1 MiB or a 25 MiB body costs the same memory. One hash serves every
/// signature with the same body canonicalization, so a dual-signed message
/// (RSA and Ed25519) reads its body once.
///
/// A hasher is a value owned by one message's receive path, so it is not
/// `Sendable` (swift-crypto's `SHA256` state is not).
///
/// ```swift
/// var hasher = DKIMBodyHasher(canonicalization: .relaxed)
/// for chunk in bodyChunks { hasher.update(chunk) }
/// let bodyHash = hasher.finalize()
/// ```
public struct DKIMBodyHasher {
    /// The body canonicalization applied before hashing.
    public let canonicalization: DKIMCanonicalization
    private var canonicalizer: DKIMBodyCanonicalizer
    private var sink: HashingSink

    /// Starts hashing an empty body.
    public init(canonicalization: DKIMCanonicalization = .relaxed) {
        self.canonicalization = canonicalization
        self.canonicalizer = DKIMBodyCanonicalizer(canonicalization)
        self.sink = HashingSink()
    }

    /// Adds the next chunk of body bytes; chunks may split lines anywhere.
    public mutating func update(_ chunk: UnsafeRawBufferPointer) {
        canonicalizer.feed(chunk, into: &sink)
    }

    /// Adds the next chunk of body bytes; chunks may split lines anywhere.
    public mutating func update(_ chunk: some Collection<UInt8>) {
        let done: Void? = chunk.withContiguousStorageIfAvailable { buffer in
            canonicalizer.feed(UnsafeRawBufferPointer(buffer), into: &sink)
        }
        if done == nil {
            Array(chunk).withUnsafeBytes { canonicalizer.feed($0, into: &sink) }
        }
    }

    /// The hash of the body fed so far. The hasher itself is left as it was, so
    /// more bytes may still be added (useful for tests; signing calls this once).
    public func finalize() -> DKIMBodyHash {
        var canonicalizer = self.canonicalizer
        var sink = self.sink
        canonicalizer.finish(into: &sink)
        return DKIMBodyHash(digest: sink.finalize(), canonicalization: canonicalization)
    }
}

/// Buffers canonical bytes and feeds them to SHA-256 in blocks, so the per-byte
/// canonicalizer does not call into the hash for every byte.
struct HashingSink: DKIMCanonicalOutput {
    private static let capacity = 32 * 1024
    private var buffer: [UInt8]
    private var sha = SHA256()

    init() {
        buffer = []
        buffer.reserveCapacity(Self.capacity)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= Self.capacity {
            flush()
        }
    }

    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        if buffer.count + bytes.count > Self.capacity {
            flush()
        }
        if bytes.count >= Self.capacity {
            sha.update(bufferPointer: bytes)
        } else {
            buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        }
    }

    private mutating func flush() {
        sha.update(data: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func finalize() -> [UInt8] {
        flush()
        return Array(sha.finalize())
    }
}
