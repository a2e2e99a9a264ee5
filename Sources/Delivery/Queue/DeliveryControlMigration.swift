import Foundation
import Spool

/// Carries the operator state an older install kept in files under `<data>/delivery/` into the
/// spool, where the queue manager reads it now: `paused`, `flush`, `retry/<ID>` and
/// `bounce/<ID>` become ``QueueRequest``s in `<spool>/requests/`; `hold/<ID>`,
/// `delay-notified/<ID>` and `notified/<ID>` become ``SpoolMarker``s. Without it a paused
/// server would resume and a queued message could get a second delay notice or DSN.
///
/// `portcullis serve` runs it once at start, before delivery. Each old file is removed only
/// after its replacement is durable, so a crash part way leaves the rest for the next start;
/// carrying a file over twice does nothing more than once. Files about a message no longer
/// queued are dropped; names that are no queue ID are left where they are.
public enum DeliveryControlMigration {
    /// Migrates `<dataDirectory>/delivery/` into `spool` and removes it; returns how many
    /// files were carried over. Nothing to do when the directory does not exist.
    @discardableResult
    public static func run(dataDirectory: String, spool: Spool) throws -> Int {
        let root = "\(dataDirectory)/delivery"
        let files = FileManager.default
        guard files.fileExists(atPath: root) else { return 0 }
        var carried = 0
        for (name, request) in [("paused", QueueRequest.pause), ("flush", .flush)] where files.fileExists(atPath: "\(root)/\(name)") {
            try spool.submit(request)
            try files.removeItem(atPath: "\(root)/\(name)")
            carried += 1
        }
        let perMessage: [(folder: String, carry: (QueueID) throws -> Void)] = [
            ("retry", { try spool.submit(.retry($0)) }),
            ("bounce", { try spool.submit(.bounce($0)) }),
            ("hold", { try spool.setMarker(.hold, on: $0) }),
            ("delay-notified", { try spool.setMarker(.delayNoticeSent, on: $0) }),
            ("notified", { try spool.setMarker(.finalNoticeSent, on: $0) }),
        ]
        for (folder, carry) in perMessage {
            let path = "\(root)/\(folder)"
            for name in (try? files.contentsOfDirectory(atPath: path)) ?? [] {
                guard let id = QueueID(name) else { continue }
                if spool.contains(id) {
                    try carry(id)
                    carried += 1
                }
                try files.removeItem(atPath: "\(path)/\(name)")
            }
            rmdir(path)  // only when empty: what is left stays for the operator
        }
        rmdir(root)
        return carried
    }
}
