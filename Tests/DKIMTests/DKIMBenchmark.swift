import DKIM
import Foundation
import Testing

/// Signing cost per message, printed, never asserted. Runs only with `PORTCULLIS_DKIM_BENCH=1`, in a release build:
///
/// ```
/// PORTCULLIS_DKIM_BENCH=1 swift test -c release --filter DKIMBenchmark
/// ```
///
/// "per message" = relaxed body hash of the whole body + header canonicalization
/// + one signature per key, i.e. what the server adds to each message it signs.
@Suite("DKIMBenchmark", .enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_DKIM_BENCH"] != nil,
                                  "set PORTCULLIS_DKIM_BENCH=1 to measure signing cost"))
struct DKIMBenchmark {
    static func measure(iterations: Int, _ body: () throws -> Void) rethrows -> Duration {
        for _ in 0..<max(1, iterations / 10) { try body() }  // warm up
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations { try body() }
        return (clock.now - start) / iterations
    }

    static func format(_ duration: Duration) -> String {
        let microseconds = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
        return microseconds >= 1000 ? String(format: "%.2f ms", microseconds / 1000) : String(format: "%.1f µs", microseconds)
    }

    /// An attachment-like body: base64 in 76-character lines (RFC 2045 §6.8),
    /// no white space, the common shape of large messages.
    static func base64Body(size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size * 3 / 4)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        let text = Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return Array((text + "\r\n").utf8)
    }

    @Test("signing cost per message")
    func signingCost() throws {
        let header = TestMessages.crlf(TestMessages.simpleHeader)
        let cases: [(String, [DKIMKey])] = [
            ("RSA-2048", [TestKeys.rsa]), ("Ed25519", [TestKeys.ed25519]), ("RSA-2048 + Ed25519", [TestKeys.rsa, TestKeys.ed25519]),
        ]
        var lines = ["| keys | body | body hash | signing (header + signatures) | total per message |",
                     "|---|---|---|---|---|"]
        let bodies: [(String, [UInt8], Int)] = [
            ("4 KiB text", TestMessages.body(size: 4 * 1024), 400),
            ("1 MiB text", TestMessages.body(size: 1024 * 1024), 30),
            ("1 MiB base64", Self.base64Body(size: 1024 * 1024), 30),
        ]
        for (label, body, iterations) in bodies {
            var bodyHash = DKIMBodyHash(body: body)
            let hashTime = Self.measure(iterations: iterations) {
                var hasher = DKIMBodyHasher()
                var offset = 0
                while offset < body.count {
                    let end = min(offset + 64 * 1024, body.count)
                    hasher.update(body[offset..<end])
                    offset = end
                }
                bodyHash = hasher.finalize()
            }
            for (name, keys) in cases {
                let signer = DKIMSigner(keys: keys)
                var output = ""
                let signTime = try Self.measure(iterations: 200) {
                    output = try signer.sign(headerBlock: header, bodyHash: bodyHash)
                }
                #expect(!output.isEmpty)
                lines.append("| \(name) | \(label) | \(Self.format(hashTime)) | \(Self.format(signTime)) | \(Self.format(hashTime + signTime)) |")
            }
        }
        print(lines.joined(separator: "\n"))
    }
}
