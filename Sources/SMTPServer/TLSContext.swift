import Foundation
import NIOSSL

/// Loads the server certificate and key for STARTTLS and implicit TLS.
public enum TLSContext {
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// TLS 1.2 minimum (RFC 8996 deprecates older versions; RFC 8314 §4.1).
    public static func server(certificatePath: String, privateKeyPath: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw LoadError(description: "cannot load the TLS certificate \(certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw LoadError(description: "cannot load the TLS private key \(privateKeyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw LoadError(description: "the TLS certificate and key do not work together: \(error)")
        }
    }
}
