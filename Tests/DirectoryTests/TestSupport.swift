import Foundation
@testable import Directory

/// A fresh directory under the system temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/portcullis-directory-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The directory backends the conformance suite runs against. Add `.postgres` when it exists.
enum Backend: String, CaseIterable, Sendable {
    case sqlite

    /// Opens an empty directory of this kind; `cleanup` removes its storage.
    func make(hasher: any PasswordHashing = PasswordHasher()) throws -> (directory: any AccountDirectory, cleanup: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let folder = try TemporaryFolder()
            let directory = try SQLiteDirectory(path: "\(folder.path)/directory.sqlite", hasher: hasher)
            return (directory, { folder.remove() })
        }
    }
}

/// A hasher that records every hash it was asked to verify, to check which path authentication took.
final class RecordingHasher: PasswordHashing, @unchecked Sendable {
    private let inner = PasswordHasher()
    private let lock = NSLock()
    private var _verified: [String] = []
    private var _hashed = 0

    var verifiedHashes: [String] { lock.withLock { _verified } }
    var hashCount: Int { lock.withLock { _hashed } }

    func hash(_ password: Password) throws -> String {
        lock.withLock { _hashed += 1 }
        return try inner.hash(password)
    }

    func verify(_ password: Password, against storedHash: String) -> Bool {
        lock.withLock { _verified.append(storedHash) }
        return inner.verify(password, against: storedHash)
    }

    func canVerify(_ storedHash: String) -> Bool { inner.canVerify(storedHash) }
}
