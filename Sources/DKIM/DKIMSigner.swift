import Crypto
import Foundation

/// Signs messages with one or more DKIM keys (RFC 6376 §5; RFC 8463 for Ed25519).
///
/// Built for a server that buffers the header block and streams the body: the
/// body goes through a ``DKIMBodyHasher`` as it arrives, then the header block
/// and the body hash are signed. The result is the text of the DKIM-Signature
/// fields to put on top of the message, each ending in CRLF.
///
/// ```swift
/// let signer = DKIMSigner(keys: try store.keys(for: "alato.example"))
/// var hasher = signer.makeBodyHasher()
/// hasher.update(bodyChunk)                       // as often as needed
/// let fields = try signer.sign(headerBlock: header, bodyHash: hasher.finalize())
/// // write `fields`, then the header block, the empty line and the body
/// ```
///
/// Every signature uses `c=relaxed/relaxed`, a `t=` timestamp from `clock`,
/// the header selection's `h=` (with From, To and Subject oversigned by
/// default), `bh=` and `b=`. With several keys (RSA and Ed25519: dual signing,
/// RFC 8463 §5) every signature is computed over the original header block, so
/// none covers another's DKIM-Signature field; their order in the result is
/// the order of `keys`.
public struct DKIMSigner: Sendable {
    /// The keys to sign with, one signature each.
    public var keys: [DKIMKey]
    /// Which header fields to sign.
    public var headerSelection: DKIMHeaderSelection
    /// Header canonicalization; relaxed unless a test needs simple.
    public var headerCanonicalization: DKIMCanonicalization
    /// The time written into `t=` (RFC 6376 §3.5); injectable for tests.
    public var clock: @Sendable () -> Date

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - keys: one signature per key, in this order.
    ///   - headerSelection: the fields to sign; RFC 6376 §5.4.1's list by default.
    ///   - headerCanonicalization: relaxed by default (RFC 6376 §3.4.2).
    ///   - clock: the signing time.
    public init(
        keys: [DKIMKey],
        headerSelection: DKIMHeaderSelection = .recommended,
        headerCanonicalization: DKIMCanonicalization = .relaxed,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.keys = keys
        self.headerSelection = headerSelection
        self.headerCanonicalization = headerCanonicalization
        self.clock = clock
    }

    /// A body hasher with relaxed body canonicalization (RFC 6376 §3.4.4), the
    /// form this signer's `c=` announces by default.
    public func makeBodyHasher() -> DKIMBodyHasher {
        DKIMBodyHasher(canonicalization: .relaxed)
    }

    /// Signs a header block whose body was hashed separately.
    ///
    /// - Parameters:
    ///   - headerBlock: the header fields, each ending in CRLF; a trailing empty
    ///     line and anything after it are ignored.
    ///   - bodyHash: the hash of the body, from ``DKIMBodyHasher``.
    /// - Returns: the DKIM-Signature fields, each ending in CRLF, to prepend to
    ///   the message; empty when the signer has no keys.
    /// - Throws: ``DKIMError/malformedHeader(line:)`` for a header block that is
    ///   not RFC 5322, ``DKIMError/missingFrom`` when there is no From field.
    public func sign(headerBlock: some Collection<UInt8>, bodyHash: DKIMBodyHash) throws(DKIMError) -> String {
        let header = try DKIMHeaderBlock(parsing: headerBlock)
        return try signatureFields(for: header, bodyHash: bodyHash).map { $0 + "\r\n" }.joined()
    }

    /// Signs a whole message held in memory (header block, empty line, body).
    public func sign(message: some Collection<UInt8>) throws(DKIMError) -> String {
        let bytes = Array(message)
        let header = try DKIMHeaderBlock(parsing: bytes)
        var hasher = makeBodyHasher()
        bytes.withUnsafeBytes { buffer in
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[header.byteCount...]))
        }
        return try signatureFields(for: header, bodyHash: hasher.finalize()).map { $0 + "\r\n" }.joined()
    }

    /// The DKIM-Signature fields for a parsed header block, one per key, each
    /// without its final CRLF.
    public func signatureFields(for header: DKIMHeaderBlock, bodyHash: DKIMBodyHash) throws(DKIMError) -> [String] {
        // RFC 6376 §5.4: "The From header field MUST be signed".
        guard header.fields.contains(where: { $0.lowercasedName == "from" }) else {
            throw .missingFrom
        }
        let signedNames = headerSelection.signedHeaderNames(for: header.fields)
        let signedData = canonicalHeaders(named: signedNames, in: header.fields)
        // RFC 6376 §3.5 t=: seconds since the epoch, an integer.
        let timestamp = Int64(clock().timeIntervalSince1970.rounded(.down))
        let canonicalization = "\(headerCanonicalization.rawValue)/\(bodyHash.canonicalization.rawValue)"

        var fields: [String] = []
        for key in keys {
            let tags: [(String, String)] = [
                ("v", "1"),
                ("a", key.type.signatureAlgorithm),
                ("c", canonicalization),
                ("d", key.domain),
                ("s", key.selector),
                ("t", String(timestamp)),
            ]
            // RFC 6376 §3.7: hash the signed fields, then this field with an
            // empty b= and without its final CRLF, then sign the hash.
            let unsigned = DKIMSignatureRenderer.render(
                tags: tags, signedHeaders: signedNames, bodyHash: bodyHash.base64, signature: "")
            guard let unsignedField = DKIMHeaderField(raw: Array(unsigned.utf8)) else {
                throw .cryptography("internal: rendered DKIM-Signature field does not parse")
            }
            var sha = SHA256()
            sha.update(data: signedData)
            sha.update(data: headerCanonicalization.canonicalizeWithoutLineEnd(unsignedField))
            let signature = try key.sign(headerDigest: sha.finalize())
            fields.append(DKIMSignatureRenderer.render(
                tags: tags, signedHeaders: signedNames, bodyHash: bodyHash.base64,
                signature: Data(signature).base64EncodedString()))
        }
        return fields
    }

    /// The canonical bytes of the fields named in `h=`, in `h=` order. A name
    /// that occurs several times takes its instances from the bottom up; a name
    /// listed more often than it occurs adds nothing (RFC 6376 §5.4.2).
    func canonicalHeaders(named names: [String], in fields: [DKIMHeaderField]) -> [UInt8] {
        var instances: [String: [Int]] = [:]
        for (index, field) in fields.enumerated() {
            instances[field.lowercasedName, default: []].append(index)
        }
        var output: [UInt8] = []
        for name in names {
            guard let index = instances[name]?.popLast() else { continue }
            output.append(contentsOf: headerCanonicalization.canonicalize(fields[index]))
        }
        return output
    }
}
