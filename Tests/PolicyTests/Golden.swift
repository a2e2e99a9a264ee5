import Foundation
import Testing

/// Golden files: rendered output compared byte for byte with a reviewed file
/// in `Golden/`. Set `PORTCULLIS_UPDATE_GOLDEN=1` to rewrite them from the
/// current renderer (then review the diff before committing).
enum Golden {
    static var updating: Bool { ProcessInfo.processInfo.environment["PORTCULLIS_UPDATE_GOLDEN"] == "1" }

    static func sourceURL(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").appendingPathComponent(name)
    }

    /// The stored golden text, from the test bundle.
    static func load(_ name: String) throws -> String {
        let base = try #require(Bundle.module.resourceURL)
        let url = base.appendingPathComponent("Golden").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Checks `actual` against the golden file, or rewrites it when updating.
    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if updating {
            try actual.write(to: sourceURL(name), atomically: true, encoding: .utf8)
            return
        }
        let expected = try load(name)
        if actual != expected {
            // Show the first differing line rather than two whole scripts.
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let index = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
            let got = index < a.count ? String(a[index]) : "<end>"
            let want = index < e.count ? String(e[index]) : "<end>"
            Issue.record("\(name) differs at line \(index + 1):\n  got:  \(got)\n  want: \(want)", sourceLocation: sourceLocation)
        }
    }
}
