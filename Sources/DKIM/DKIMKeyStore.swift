import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// DKIM private keys in the data directory, one file per key:
///
/// ```
/// <data>/dkim/<domain>/<selector>.rsa.pem       PKCS#8 PEM, mode 0600
/// <data>/dkim/<domain>/<selector>.ed25519.pem   PKCS#8 PEM (RFC 8410), mode 0600
/// ```
///
/// Directories are created with mode 0700. A new key is written to a
/// temporary file (created 0600, never wider), flushed to disk, then linked
/// into place, so a crash leaves either no key or a whole one, and an
/// existing key is never overwritten. Operators may also drop in keys made
/// with `openssl genpkey -algorithm ed25519` or `openssl genpkey -algorithm RSA
/// -pkeyopt rsa_keygen_bits:2048` under the same names.
public struct DKIMKeyStore: Sendable {
    /// `<data>/dkim`.
    public let directory: URL

    /// A store under a Portcullis data directory.
    public init(dataDirectory: URL) {
        self.directory = dataDirectory.appendingPathComponent("dkim", isDirectory: true)
    }

    /// Where a key lives.
    ///
    /// - Throws: ``DKIMError/invalidDomain(_:)`` / ``DKIMError/invalidSelector(_:)``;
    ///   names are checked before they become path components, so no name can
    ///   point outside the store.
    public func fileURL(domain: String, selector: String, type: DKIMKeyType) throws(DKIMError) -> URL {
        guard let domain = DKIMName.normalizedDomain(domain) else { throw .invalidDomain(domain) }
        guard DKIMName.isValidSelector(selector) else { throw .invalidSelector(selector) }
        return directory
            .appendingPathComponent(domain, isDirectory: true)
            .appendingPathComponent("\(selector).\(type.rawValue).pem", isDirectory: false)
    }

    /// Creates a new key, stores it and returns it; print its
    /// ``DKIMKey/dnsRecord`` for the operator to publish.
    ///
    /// - Throws: ``DKIMError/keyExists(path:)`` when the selector already has a
    ///   key of this kind, ``DKIMError/selectorInUse(selector:domain:)`` when it
    ///   has one of the other kind (one record per DNS name); name and I/O errors.
    @discardableResult
    public func generate(domain: String, selector: String, type: DKIMKeyType) throws(DKIMError) -> DKIMKey {
        let key = try DKIMKey.generate(domain: domain, selector: selector, type: type)
        try store(key)
        return key
    }

    /// Writes a key created elsewhere; refuses to replace an existing file or
    /// to put a second key under a selector that has one.
    public func store(_ key: DKIMKey) throws(DKIMError) {
        let url = try fileURL(domain: key.domain, selector: key.selector, type: key.type)
        for other in DKIMKeyType.allCases where other != key.type {
            let sibling = try fileURL(domain: key.domain, selector: key.selector, type: other)
            if FileManager.default.fileExists(atPath: sibling.path) {
                throw .selectorInUse(selector: key.selector, domain: key.domain)
            }
        }
        try makeDirectory(directory.deletingLastPathComponent(), private: false)
        try makeDirectory(directory, private: true)
        try makeDirectory(url.deletingLastPathComponent(), private: true)
        try PrivateKeyFile.store(Array(DKIMKeyFile.pem(for: key.algorithm).utf8), at: url.path, placement: .newOnly)
    }

    /// Every key stored for a domain, RSA before Ed25519, then by selector;
    /// empty when the domain has none.
    ///
    /// - Throws: ``DKIMError/invalidKeyFile(path:reason:)`` for a file named like
    ///   a key that does not hold one, rather than silently signing with fewer keys.
    public func keys(for domain: String) throws(DKIMError) -> [DKIMKey] {
        guard let normalized = DKIMName.normalizedDomain(domain) else { throw .invalidDomain(domain) }
        let folder = directory.appendingPathComponent(normalized, isDirectory: true)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            if !FileManager.default.fileExists(atPath: folder.path) { return [] }
            throw .io(path: folder.path, reason: "cannot list the key folder (\(error))")
        }
        var keys: [DKIMKey] = []
        for name in names where !name.hasPrefix(".") {
            guard let (selector, type) = Self.parseFileName(name) else { continue }
            let path = folder.appendingPathComponent(name).path
            guard DKIMName.isValidSelector(selector) else {
                throw .invalidKeyFile(path: path, reason: "'\(selector)' is not a valid selector")
            }
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .invalidKeyFile(path: path, reason: "unreadable (\(error))")
            }
            switch DKIMKeyFile.algorithm(fromPEM: text, type: type) {
            case .success(let algorithm):
                keys.append(try DKIMKey(domain: normalized, selector: selector, algorithm: algorithm))
            case .failure(let problem):
                throw .invalidKeyFile(path: path, reason: problem.reason)
            }
        }
        return keys.sorted { ($0.type, $0.selector) < ($1.type, $1.selector) }
    }

    /// The domains that have a key folder, sorted.
    public func domains() throws(DKIMError) -> [String] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { DKIMName.normalizedDomain($0) == $0 }
                .sorted()
        } catch {
            throw .io(path: directory.path, reason: "cannot list the key folder (\(error))")
        }
    }

    /// `<selector>.<rsa|ed25519>.pem` → (selector, type); other names → nil.
    static func parseFileName(_ name: String) -> (String, DKIMKeyType)? {
        for type in DKIMKeyType.allCases {
            let suffix = ".\(type.rawValue).pem"
            if name.hasSuffix(suffix), name.count > suffix.count {
                return (String(name.dropLast(suffix.count)), type)
            }
        }
        return nil
    }

    private func makeDirectory(_ url: URL, private isPrivate: Bool) throws(DKIMError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true,
                attributes: isPrivate ? [.posixPermissions: 0o700] : nil)
        } catch {
            throw .io(path: url.path, reason: "cannot create the directory (\(error))")
        }
    }
}
