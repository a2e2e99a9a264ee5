import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate `portcullis init` makes so that STARTTLS and port 465 work on first run.
/// Clients will not trust it; production installs point `[tls]` at a real certificate.
public enum SelfSignedCertificate {
    public struct PEMFiles: Sendable {
        public var certificate: String
        public var privateKey: String
    }

    public static func make(hostname: String, now: Date = Date()) throws -> PEMFiles {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(hostname)
            OrganizationName("Portcullis self-signed")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(825 * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(hostname)])
            },
            issuerPrivateKey: .init(key))
        return PEMFiles(
            certificate: try certificate.serializeAsPEM().pemString + "\n",
            privateKey: key.pemRepresentation + "\n")
    }
}
