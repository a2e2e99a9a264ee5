import Foundation
import Spool

/// Mail loop checks on a message's header (RFC 5321 §6.3).
///
/// A message that has passed too many hosts, or that already carries our `Delivered-To`
/// for the same mailbox, is looping: it fails with 554 5.4.6 (routing loop detected,
/// RFC 3463 §3.5) instead of circling forever.
public enum LoopDetector {
    /// RFC 5321 §6.3 suggests a limit on Received headers of at least 100 in the past;
    /// Postfix uses 50 (hopcount_limit). We use 50.
    public static let maximumReceivedHeaders = 50
    /// Only the header section is read, up to this many octets.
    public static let maximumHeaderBytes = 256 * 1024

    /// What the header says.
    public struct Findings: Sendable, Hashable {
        /// Count of `Received:` fields.
        public var receivedCount: Int
        /// Values of `Delivered-To:` fields, lowercased.
        public var deliveredTo: Set<String>
    }

    /// Reads the header section of the message.
    public static func scan(_ source: MessageSource) -> Findings {
        var findings = Findings(receivedCount: 0, deliveredTo: [])
        guard let reader = try? source.open() else { return findings }
        let data = (try? reader.read(upToCount: maximumHeaderBytes)) ?? []
        // Split on LF bytes: as Characters, "\r\n" is one grapheme and would never match "\n".
        for rawLine in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            let bytes = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            if bytes.isEmpty { break }  // end of the header section
            let line = String(decoding: bytes, as: UTF8.self)
            let lower = line.lowercased()
            if lower.hasPrefix("received:") { findings.receivedCount += 1 }
            if lower.hasPrefix("delivered-to:") {
                findings.deliveredTo.insert(lower.dropFirst("delivered-to:".count).trimmingCharacters(in: .whitespaces))
            }
        }
        return findings
    }

    /// True when delivering to `mailbox` would continue a loop.
    public static func isLooping(_ findings: Findings, mailbox: String) -> Bool {
        findings.receivedCount > maximumReceivedHeaders || findings.deliveredTo.contains(mailbox.lowercased())
    }
}
