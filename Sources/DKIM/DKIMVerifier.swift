import Crypto
import _CryptoExtras
import Foundation

/// Checks DKIM signatures (RFC 6376 §6): `rsa-sha256` and `ed25519-sha256`
/// (RFC 8463), simple and relaxed canonicalization.
///
/// Portcullis uses it to check its own signatures in tests and tools; the key
/// records come from a lookup function, so no DNS is needed. Every input may
/// come from the network: anything malformed yields a `permerror` result,
/// never a trap. Not supported (reported as `permerror`): `l=` body length
/// limits (RFC 6376 §8.2 advises against them) and `rsa-sha1` (RFC 8301 §3.1
/// forbids it).
public struct DKIMVerifier: Sendable {
    /// Returns the TXT record text (character-strings joined) published at a
    /// name such as `sel._domainkey.alato.example`, or nil when there is none.
    public typealias KeyLookup = @Sendable (_ name: String) -> String?

    private let keyLookup: KeyLookup
    private let clock: @Sendable () -> Date

    /// Creates a verifier.
    ///
    /// - Parameters:
    ///   - keyLookup: finds key records.
    ///   - clock: the time `x=` expiry is compared with.
    public init(keyLookup: @escaping KeyLookup, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.keyLookup = keyLookup
        self.clock = clock
    }

    /// Checks every DKIM-Signature field of a message, top to bottom; an empty
    /// array means the message is unsigned. A message whose header block is
    /// not RFC 5322 yields one `permerror`.
    public func verify(message: some Collection<UInt8>) -> [DKIMVerificationResult] {
        let bytes = Array(message)
        let header: DKIMHeaderBlock
        do {
            header = try DKIMHeaderBlock(parsing: bytes)
        } catch {
            return [DKIMVerificationResult(domain: nil, selector: nil, algorithm: nil,
                                           status: .permerror("header block: \(error)"))]
        }
        let body = bytes[header.byteCount...]
        var bodyHashes: [DKIMCanonicalization: DKIMBodyHash] = [:]
        return header.fields.indices
            .filter { header.fields[$0].lowercasedName == "dkim-signature" }
            .map { index in
                check(signatureAt: index, in: header.fields) { canonicalization in
                    if let known = bodyHashes[canonicalization] { return known }
                    let hash = DKIMBodyHash(body: body, canonicalization: canonicalization)
                    bodyHashes[canonicalization] = hash
                    return hash
                }
            }
    }

    private func check(
        signatureAt index: Int, in fields: [DKIMHeaderField],
        bodyHash: (DKIMCanonicalization) -> DKIMBodyHash
    ) -> DKIMVerificationResult {
        let field = fields[index]
        guard let tags = DKIMTagList(String(decoding: field.rawValue, as: UTF8.self)) else {
            return DKIMVerificationResult(domain: nil, selector: nil, algorithm: nil,
                                          status: .permerror("malformed tag list"))
        }
        let domain = tags["d"], selector = tags["s"], algorithm = tags["a"]
        func result(_ status: DKIMVerificationResult.Status) -> DKIMVerificationResult {
            DKIMVerificationResult(domain: domain, selector: selector, algorithm: algorithm, status: status)
        }

        // RFC 6376 §6.1.1: required tags and their values.
        guard tags["v"] == "1" else { return result(.permerror("v= is not 1")) }
        guard let domain, let selector, let algorithm, let signedList = tags["h"],
              let bodyHashText = tags["bh"], let signatureText = tags["b"]
        else { return result(.permerror("a required tag (a, b, bh, d, h, s) is missing")) }
        guard tags["l"] == nil else { return result(.permerror("l= body length limits are not supported")) }
        let keyType: DKIMKeyType
        switch algorithm {
        case "rsa-sha256": keyType = .rsa
        case "ed25519-sha256": keyType = .ed25519
        default: return result(.permerror("unsupported algorithm \(algorithm)"))
        }
        let canonicalization = (tags["c"] ?? "simple/simple").split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(canonicalization.count),
              let headerCanonicalization = DKIMCanonicalization(rawValue: String(canonicalization[0])),
              let bodyCanonicalization = DKIMCanonicalization(
                rawValue: canonicalization.count == 2 ? String(canonicalization[1]) : "simple")
        else { return result(.permerror("unknown canonicalization \(tags["c"] ?? "")")) }
        let signedNames = signedList.split(separator: ":", omittingEmptySubsequences: false)
            .map { DKIMTagList.removingWhiteSpace(String($0)).lowercased() }
        // RFC 6376 §6.1.1: the From field MUST be signed.
        guard signedNames.contains("from") else { return result(.permerror("h= does not include From")) }
        if let expiry = tags["x"] {
            guard let seconds = Int64(expiry) else { return result(.permerror("x= is not a number")) }
            if Double(seconds) < clock().timeIntervalSince1970 { return result(.fail("signature expired")) }
        }
        guard let signature = Data(base64Encoded: DKIMTagList.removingWhiteSpace(signatureText)) else {
            return result(.permerror("b= is not base64"))
        }

        // RFC 6376 §6.1.2: fetch and check the key record.
        let keyName = "\(selector)._domainkey.\(domain)"
        guard let recordText = keyLookup(keyName) else { return result(.permerror("no key record at \(keyName)")) }
        guard let record = DKIMTagList(recordText) else { return result(.permerror("malformed key record")) }
        if let version = record["v"], version != "DKIM1" { return result(.permerror("key record v= is not DKIM1")) }
        guard (record["k"] ?? "rsa") == keyType.rawValue else {
            return result(.permerror("key record k= does not match a="))
        }
        guard let publicKeyText = record["p"] else { return result(.permerror("key record has no p=")) }
        let publicKeyBase64 = DKIMTagList.removingWhiteSpace(publicKeyText)
        // RFC 6376 §3.6.1: an empty p= means the key was revoked.
        guard !publicKeyBase64.isEmpty else { return result(.permerror("key revoked")) }
        guard let publicKey = Data(base64Encoded: publicKeyBase64) else {
            return result(.permerror("key record p= is not base64"))
        }

        // RFC 6376 §6.1.3: body hash, then header hash.
        let computedBodyHash = bodyHash(bodyCanonicalization)
        guard Data(base64Encoded: DKIMTagList.removingWhiteSpace(bodyHashText)) == Data(computedBodyHash.digest) else {
            return result(.fail("body hash does not match"))
        }
        var sha = SHA256()
        var instances: [String: [Int]] = [:]
        for (position, candidate) in fields.enumerated() {
            instances[candidate.lowercasedName, default: []].append(position)
        }
        for name in signedNames {
            // RFC 6376 §5.4.2: instances from the bottom up; extra names add nothing.
            guard let position = instances[name]?.popLast() else { continue }
            sha.update(data: headerCanonicalization.canonicalize(fields[position]))
        }
        guard let unsignedField = Self.removingSignatureValue(from: field) else {
            return result(.permerror("cannot locate b= in the field"))
        }
        sha.update(data: headerCanonicalization.canonicalizeWithoutLineEnd(unsignedField))
        let digest = sha.finalize()

        switch keyType {
        case .rsa:
            // RFC 8301 §3.2: verifiers MUST accept 1024 to 4096 bits.
            guard let key = try? _RSA.Signing.PublicKey(unsafeDERRepresentation: publicKey) else {
                return result(.permerror("key record p= is not an RSA public key of 1024 bits or more"))
            }
            let valid = key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: digest, padding: .insecurePKCS1v1_5)
            return result(valid ? .pass : .fail("signature does not verify"))
        case .ed25519:
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else {
                return result(.permerror("key record p= is not a 32-byte Ed25519 public key"))
            }
            let valid = key.isValidSignature(signature, for: Array(digest))
            return result(valid ? .pass : .fail("signature does not verify"))
        }
    }

    /// The field with the value of its `b=` tag removed, white space included,
    /// as it entered the signer's hash (RFC 6376 §3.7: "the value of the b= tag
    /// (including all surrounding whitespace) is deleted (i.e., treated as the
    /// empty string)"). Tags are found at `;` boundaries of the raw bytes.
    static func removingSignatureValue(from field: DKIMHeaderField) -> DKIMHeaderField? {
        let raw = field.raw
        var output = Array(raw[..<field.valueStart])
        var start = field.valueStart
        var found = false
        while start <= raw.count {
            var end = start
            while end < raw.count, raw[end] != UInt8(ascii: ";") { end += 1 }
            let spec = raw[start..<end]
            // The tag name, after leading FWS.
            var nameStart = spec.startIndex
            while nameStart < spec.endIndex, [ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf].contains(spec[nameStart]) {
                nameStart += 1
            }
            var nameEnd = nameStart
            while nameEnd < spec.endIndex, spec[nameEnd] != UInt8(ascii: "="),
                  ![ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf].contains(spec[nameEnd]) {
                nameEnd += 1
            }
            var equals = nameEnd
            while equals < spec.endIndex, spec[equals] != UInt8(ascii: "=") { equals += 1 }
            if !found, raw[nameStart..<nameEnd].elementsEqual("b".utf8), equals < spec.endIndex {
                output.append(contentsOf: raw[start...equals])
                found = true
            } else {
                output.append(contentsOf: spec)
            }
            if end < raw.count { output.append(UInt8(ascii: ";")) }
            start = end + 1
        }
        guard found else { return nil }
        return DKIMHeaderField(raw: output)
    }
}
