import Crypto
import _CryptoExtras
import Foundation

/// The on-disk form of a private key: PKCS#8 (RFC 5208) in PEM (RFC 7468 §10,
/// `-----BEGIN PRIVATE KEY-----`) for both kinds, the form `openssl genpkey`
/// writes and `openssl pkey` reads.
///
/// swift-crypto 3.12 has no PEM for Ed25519 keys, so that form is written here:
/// an Ed25519 PKCS#8 document is a fixed 16-byte DER prefix followed by the
/// 32-byte private key (RFC 8410 §7, §10.3).
enum DKIMKeyFile {
    /// RFC 8410 §10.3: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 },
    /// OCTET STRING { OCTET STRING (32 bytes) } }.
    static let ed25519PKCS8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70,
        0x04, 0x22, 0x04, 0x20,
    ]
    static let pemLabel = "PRIVATE KEY"

    /// The PEM text of a key.
    static func pem(for algorithm: DKIMKey.Algorithm) -> String {
        switch algorithm {
        case .rsaSHA256(let key):
            return key.pkcs8PEMRepresentation.hasSuffix("\n")
                ? key.pkcs8PEMRepresentation : key.pkcs8PEMRepresentation + "\n"
        case .ed25519SHA256(let key):
            return encodePEM(der: ed25519PKCS8Prefix + Array(key.rawRepresentation))
        }
    }

    /// Reads a key of the given kind from PEM text; the reason on failure is
    /// for an operator.
    static func algorithm(fromPEM text: String, type: DKIMKeyType) -> Result<DKIMKey.Algorithm, KeyFileProblem> {
        switch type {
        case .rsa:
            do {
                // Accepts PKCS#8 and PKCS#1 ("RSA PRIVATE KEY"); refuses keys under 2048 bits.
                return .success(.rsaSHA256(try _RSA.Signing.PrivateKey(pemRepresentation: text)))
            } catch {
                return .failure(KeyFileProblem("not an RSA private key of at least 2048 bits in PEM (\(error))"))
            }
        case .ed25519:
            guard let der = decodePEM(text) else {
                return .failure(KeyFileProblem("not a PEM \"\(pemLabel)\" document"))
            }
            guard der.count == ed25519PKCS8Prefix.count + 32, der.starts(with: ed25519PKCS8Prefix) else {
                return .failure(KeyFileProblem("not an Ed25519 PKCS#8 private key (RFC 8410)"))
            }
            do {
                let key = try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32))
                return .success(.ed25519SHA256(key))
            } catch {
                return .failure(KeyFileProblem("invalid Ed25519 key bytes (\(error))"))
            }
        }
    }

    /// RFC 7468 §2: base64 in lines of 64 characters between the boundaries.
    static func encodePEM(der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(pemLabel)-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END \(pemLabel)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DER bytes of the first `PRIVATE KEY` block, or nil.
    static func decodePEM(_ text: String) -> [UInt8]? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(pemLabel)-----"),
              let end = lines[begin...].firstIndex(of: "-----END \(pemLabel)-----")
        else { return nil }
        let base64 = lines[(begin + 1)..<end].joined()
        guard let data = Data(base64Encoded: base64) else { return nil }
        return Array(data)
    }

    /// Why a key file was refused.
    struct KeyFileProblem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
