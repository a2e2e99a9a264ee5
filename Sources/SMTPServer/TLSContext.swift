import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// Loading the server certificate and key for STARTTLS and implicit TLS.
public enum TLSContext {
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }
}

/// A server TLS context (TLS 1.2 minimum: RFC 8996, RFC 8314 §4.1) whose certificate and key can be replaced while it is in use
/// (`portcullis reload`, SIGHUP, after a renewal): handshakes that start afterwards present the
/// new pair; connections already in TLS keep the one they negotiated.
///
/// Why this way: every listener and session holds the one ``context``; rather than hand new
/// contexts to all of them, the context asks for the current pair at each handshake (NIOSSL's
/// certificate callback, run once per ClientHello).
public final class ReloadableServerTLS: Sendable {
    /// The context the listeners use.
    public let context: NIOSSLContext
    private let certificatePath: String
    private let privateKeyPath: String
    private let current: CurrentPair

    /// Loads the pair; throws ``TLSContext/LoadError`` naming the file or the mismatch.
    public init(certificatePath: String, privateKeyPath: String) throws {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        let (pair, configuration) = try Self.load(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        let current = CurrentPair(pair)
        self.current = current
        var dynamic = configuration
        dynamic.sslContextCallback = { _, promise in
            promise.succeed(current.pair)
        }
        do {
            context = try NIOSSLContext(configuration: dynamic)
        } catch {
            throw TLSContext.LoadError(description: "the TLS certificate and key do not work together: \(error)")
        }
    }

    /// Reads the files again and, when the new pair loads and matches, serves it from the next
    /// handshake on; otherwise throws and the pair in use stays.
    public func reload() throws {
        let (pair, _) = try Self.load(certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        current.pair = pair
    }

    private static func load(certificatePath: String, privateKeyPath: String) throws
        -> (NIOSSLContextConfigurationOverride, TLSConfiguration) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw TLSContext.LoadError(description: "cannot load the TLS certificate \(certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw TLSContext.LoadError(description: "cannot load the TLS private key \(privateKeyPath): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // A key that does not belong to the certificate fails here, before it replaces anything.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSContext.LoadError(description: "the TLS certificate \(certificatePath) and key \(privateKeyPath) do not work together: \(error)")
        }
        var pair = NIOSSLContextConfigurationOverride()
        pair.certificateChain = chain.map { .certificate($0) }
        pair.privateKey = .privateKey(key)
        return (pair, configuration)
    }
}

/// The certificate and key the next handshake presents.
private final class CurrentPair: Sendable {
    private let value: Mutex<NIOSSLContextConfigurationOverride>

    init(_ pair: NIOSSLContextConfigurationOverride) { value = Mutex(pair) }

    var pair: NIOSSLContextConfigurationOverride {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
