import Foundation
import Synchronization

/// The DKIM keys of the hosted domains, loaded from the data directory and re-read when a
/// domain's key folder changes, so `portcullis dkim generate` takes effect without a restart.
///
/// A domain is signed with at most one key per algorithm: the one whose selector sorts last
/// (the default selectors are dated, so that is the newest). With both an RSA and an Ed25519
/// key the mail is dual-signed (RFC 8463 §5).
public final class DKIMKeyRing: Sendable {
    private let store: DKIMKeyStore
    private let directory: URL
    private struct Entry {
        var modified: timespec?
        var signer: DKIMSigner?
    }
    private let cache = Mutex<[String: Entry]>([:])

    public init(dataDirectory: String) {
        store = DKIMKeyStore(dataDirectory: URL(fileURLWithPath: dataDirectory))
        directory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("dkim")
    }

    /// The signer for mail whose From: is in `domain`, or nil when it has no key.
    public func signer(for domain: String) -> DKIMSigner? {
        let domain = domain.lowercased()
        let folder = directory.appendingPathComponent(domain).path
        // One stat(2) per message (FileManager's attributes cost far more): a new key changes
        // the folder's modification time.
        var info = stat()
        let modified: timespec? = stat(folder, &info) == 0 ? info.st_mtim : nil
        if let entry = cache.withLock({ $0[domain] }),
           entry.modified?.tv_sec == modified?.tv_sec, entry.modified?.tv_nsec == modified?.tv_nsec {
            return entry.signer
        }
        var signer: DKIMSigner?
        if modified != nil, let keys = try? store.keys(for: domain) {
            let newest = Dictionary(grouping: keys, by: \.type).values.compactMap { $0.max { $0.selector < $1.selector } }
            if !newest.isEmpty { signer = DKIMSigner(keys: newest.sorted { $0.type < $1.type }) }
        }
        cache.withLock { $0[domain] = Entry(modified: modified, signer: signer) }
        return signer
    }
}
