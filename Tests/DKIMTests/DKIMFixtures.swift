import DKIM
import Foundation
import Testing

/// Writes signed messages for the dkimpy interop test
/// (Tests/Interop/dkim/test_dkim_dkimpy.py), which verifies them with an
/// implementation written by others.
///
/// Runs only when `PORTCULLIS_DKIM_FIXTURES` names a directory (otherwise it is
/// reported as skipped). It generates fresh keys with ``DKIMKeyStore`` under
/// `<dir>/data`, signs each sample the way the server will (header block
/// buffered, body streamed through ``DKIMBodyHasher`` in 64 KiB chunks) and writes:
///
/// - `<scenario>.eml`: DKIM-Signature fields + the message, CRLF line ends;
/// - `records.zone`: the TXT records, one zone-file line each, as an operator
///   would publish them (character-strings of at most 255 octets);
/// - `scenarios.txt`: one line per message: `<scenario> <number of signatures>`.
///
/// ```
/// PORTCULLIS_DKIM_FIXTURES=/tmp/fx swift test --skip-build --filter DKIMFixtures
/// ```
@Suite("DKIMFixtures", .enabled(if: FixtureDirectory.url != nil, "set PORTCULLIS_DKIM_FIXTURES=dir to write interop fixtures"))
struct DKIMFixtures {

    /// A typical message and a large one: 4 KiB and 1 MiB bodies.
    static let sizes: [(label: String, bytes: Int)] = [("4k", 4 * 1024), ("1m", 1024 * 1024)]

    static func header(from: String, subject: String) -> [UInt8] {
        TestMessages.crlf([
            "Received: from client.example.net (client.example.net [192.0.2.10])",
            "\tby mail.alato.example with ESMTPSA; Thu, 2 Jan 2025 03:04:05 +0000",
            "From: Sender <\(from)>",
            "To: Taro <taro@example.net>,",
            "    Jiro <jiro@example.org>",
            "Cc: list@example.org",
            "Subject: \(subject)",
            "\tfolded subject line",
            "Date: Thu, 2 Jan 2025 03:04:00 +0000",
            "Message-ID: <\(UUID().uuidString)@alato.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-Unsigned: not covered",
        ])
    }

    @Test("write signed fixtures for dkimpy")
    func writeFixtures() throws {
        let directory = try #require(FixtureDirectory.url)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = DKIMKeyStore(dataDirectory: directory.appendingPathComponent("data"))
        let alatoRSA = try store.generate(domain: "alato.example", selector: "rsa2025", type: .rsa)
        let alatoEd = try store.generate(domain: "alato.example", selector: "ed2025", type: .ed25519)
        _ = try store.generate(domain: "virtual.example", selector: "mail-rsa", type: .rsa)
        _ = try store.generate(domain: "virtual.example", selector: "mail-ed25519", type: .ed25519)
        let virtualKeys = try store.keys(for: "virtual.example")
        #expect(virtualKeys.map(\.type) == [.rsa, .ed25519])

        let zone = (try store.keys(for: "alato.example") + virtualKeys)
            .map { $0.dnsRecord.zoneFileLine + "\n" }.joined()
        try zone.write(to: directory.appendingPathComponent("records.zone"), atomically: true, encoding: .utf8)

        let scenarios: [(name: String, from: String, keys: [DKIMKey])] = [
            ("rsa", "hanako@alato.example", [alatoRSA]),
            ("ed25519", "hanako@alato.example", [alatoEd]),
            ("dual", "owner@virtual.example", virtualKeys),
        ]
        var index = ""
        for scenario in scenarios {
            for size in Self.sizes {
                let name = "\(scenario.name)-\(size.label)"
                let header = Self.header(from: scenario.from, subject: "Fixture \(name)")
                let body = TestMessages.body(size: size.bytes, seed: name.utf8.reduce(UInt64(17)) { $0 &* 31 &+ UInt64($1) })
                let signer = DKIMSigner(keys: scenario.keys)
                var hasher = signer.makeBodyHasher()
                var offset = 0
                while offset < body.count {
                    let end = min(offset + 64 * 1024, body.count)
                    hasher.update(body[offset..<end])
                    offset = end
                }
                let fields = try signer.sign(headerBlock: header, bodyHash: hasher.finalize())
                let message = Array(fields.utf8) + header + Array("\r\n".utf8) + body
                try Data(message).write(to: directory.appendingPathComponent("\(name).eml"))
                index += "\(name) \(scenario.keys.count)\n"
            }
        }
        try index.write(to: directory.appendingPathComponent("scenarios.txt"), atomically: true, encoding: .utf8)
    }
}

/// Where ``DKIMFixtures`` writes, from `PORTCULLIS_DKIM_FIXTURES`.
enum FixtureDirectory {
    static var url: URL? {
        ProcessInfo.processInfo.environment["PORTCULLIS_DKIM_FIXTURES"].map { URL(fileURLWithPath: $0, isDirectory: true) }
    }
}
