import Crypto
import _CryptoExtras
import Foundation

/// A private signing key with the names it is published under: signatures
/// carry `d=<domain>` and `s=<selector>`, and verifiers fetch the public key
/// from `<selector>._domainkey.<domain>` (RFC 6376 §3.6.2.1).
///
/// Private keys stay inside this value; its `description` shows only names and
/// the kind of key, so logging a key never logs the secret.
public struct DKIMKey: Sendable, CustomStringConvertible {
    /// The private key and the signing algorithm that goes with it.
    ///
    /// `@unchecked Sendable` because swift-crypto 3.12 does not mark
    /// `Curve25519.Signing.PrivateKey` as `Sendable`: it is an immutable value
    /// (key bytes, never mutated after creation), safe to read from any thread;
    /// the RSA key type is already `Sendable`.
    public enum Algorithm: @unchecked Sendable {
        /// `rsa-sha256`: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 §3.3.1).
        case rsaSHA256(_RSA.Signing.PrivateKey)
        /// `ed25519-sha256`: PureEdDSA over the SHA-256 hash (RFC 8463 §3).
        case ed25519SHA256(Curve25519.Signing.PrivateKey)
    }

    /// The signing domain (`d=`), in lower case.
    public let domain: String
    /// The selector (`s=`).
    public let selector: String
    /// The private key and its algorithm.
    public let algorithm: Algorithm

    /// Wraps a private key.
    ///
    /// - Throws: ``DKIMError/invalidDomain(_:)`` or ``DKIMError/invalidSelector(_:)``
    ///   when a name is not made of LDH labels; both are written into a header
    ///   field and a file name, so nothing else is accepted.
    public init(domain: String, selector: String, algorithm: Algorithm) throws(DKIMError) {
        guard let normalized = DKIMName.normalizedDomain(domain) else {
            throw .invalidDomain(domain)
        }
        guard DKIMName.isValidSelector(selector) else {
            throw .invalidSelector(selector)
        }
        self.domain = normalized
        self.selector = selector
        self.algorithm = algorithm
    }

    /// Creates a new random key: RSA with 2048 bits (RFC 8301 §3.2 asks for at
    /// least 1024 and recommends 2048), or Ed25519.
    public static func generate(domain: String, selector: String, type: DKIMKeyType) throws(DKIMError) -> DKIMKey {
        switch type {
        case .rsa:
            let key: _RSA.Signing.PrivateKey
            do {
                key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            } catch {
                throw .cryptography("RSA key generation: \(error)")
            }
            return try DKIMKey(domain: domain, selector: selector, algorithm: .rsaSHA256(key))
        case .ed25519:
            return try DKIMKey(domain: domain, selector: selector, algorithm: .ed25519SHA256(Curve25519.Signing.PrivateKey()))
        }
    }

    /// The kind of key.
    public var type: DKIMKeyType {
        switch algorithm {
        case .rsaSHA256: return .rsa
        case .ed25519SHA256: return .ed25519
        }
    }

    /// The `p=` value of the key record: base64 of the DER SubjectPublicKeyInfo
    /// for RSA (RFC 6376 §3.6.1), of the 32 raw public key bytes for Ed25519
    /// (RFC 8463 §4.2).
    public var publicKeyBase64: String {
        switch algorithm {
        case .rsaSHA256(let key):
            return key.publicKey.derRepresentation.base64EncodedString()
        case .ed25519SHA256(let key):
            return key.publicKey.rawRepresentation.base64EncodedString()
        }
    }

    /// The TXT record to publish for this key.
    public var dnsRecord: DKIMDNSRecord {
        DKIMDNSRecord(selector: selector, domain: domain, keyType: type, publicKeyBase64: publicKeyBase64)
    }

    public var description: String {
        "DKIMKey(\(type.signatureAlgorithm), s=\(selector), d=\(domain))"
    }

    /// Signs the SHA-256 hash of the canonicalized header data (RFC 6376 §3.7).
    ///
    /// RSA signs the digest inside a PKCS#1 v1.5 DigestInfo (RFC 8017 §9.2).
    /// Ed25519 signs the 32 digest bytes themselves as the message (RFC 8463 §3:
    /// "the hash of the data is signed", PureEdDSA, not Ed25519ph).
    func sign(headerDigest: SHA256Digest) throws(DKIMError) -> [UInt8] {
        do {
            switch algorithm {
            case .rsaSHA256(let key):
                // PKCS#1 v1.5 is what rsa-sha256 is; "insecure" is swift-crypto's
                // label for the padding, not a weaker choice for DKIM.
                let signature = try key.signature(for: headerDigest, padding: .insecurePKCS1v1_5)
                return Array(signature.rawRepresentation)
            case .ed25519SHA256(let key):
                return Array(try key.signature(for: Array(headerDigest)))
            }
        } catch {
            throw .cryptography("\(type.signatureAlgorithm) signature: \(error)")
        }
    }
}
