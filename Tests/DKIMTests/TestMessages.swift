import DKIM
import Foundation
import TestSupport

/// Messages and helpers shared by the DKIM tests. Names follow DESIGN.md:
/// alato.example is the ISP, virtual.example a customer domain.
enum TestMessages {
    /// A fixed signing time: 2025-01-02T03:04:05Z.
    static let fixedDate = Date(timeIntervalSince1970: 1_735_787_045)

    /// Joins lines with CRLF, ending the last one too.
    static func crlf(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\r\n" }.joined().utf8)
    }

    /// A plain message from a hosted domain with a folded Subject.
    static let simpleHeader: [String] = [
        "Received: from client.example.net (client.example.net [192.0.2.10])",
        "\tby mail.alato.example with ESMTPSA id 1A2B3C; Thu, 2 Jan 2025 03:04:05 +0000",
        "From: Hanako Alato <hanako@alato.example>",
        "To: Taro <taro@example.net>",
        "Subject: Lunch on\r\n Friday?",
        "Date: Thu, 2 Jan 2025 03:04:00 +0000",
        "Message-ID: <20250102030400.1@alato.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "X-Mailer: test",
    ]

    static let simpleBody: [String] = [
        "Hello Taro,",
        "",
        "Shall we meet at noon?   The usual place.\t",
        "",
        "Hanako",
        "",
        "",
    ]

    static var simpleMessage: [UInt8] {
        crlf(simpleHeader + [""] + simpleBody)
    }

    /// A deterministic body of about `size` bytes: lines of varied length with
    /// runs of spaces and tabs, trailing white space and empty lines, so that
    /// relaxed canonicalization has work to do.
    static func body(size: Int, seed: UInt64 = 0x5DEECE66D) -> [UInt8] {
        // A fixed sequence for reproducible fixtures.
        var random = SplitMix64(seed: seed)
        func next() -> UInt64 { random.next() }
        let words = ["port", "twenty-five", "submission", "alato", "express", "mail", "relay",
                     "queue", "DKIM", "signature", "日本語", "ISP", "block", "587"]
        var output: [UInt8] = []
        output.reserveCapacity(size + 200)
        while output.count < size {
            let kind = next() % 10
            if kind == 0 {
                output.append(contentsOf: "\r\n".utf8)  // empty line
                continue
            }
            let wordCount = Int(next() % 12) + 1
            for index in 0..<wordCount {
                if index > 0 {
                    switch next() % 6 {
                    case 0: output.append(contentsOf: "  ".utf8)
                    case 1: output.append(contentsOf: "\t".utf8)
                    default: output.append(contentsOf: " ".utf8)
                    }
                }
                output.append(contentsOf: words[Int(next() % UInt64(words.count))].utf8)
            }
            if kind == 1 { output.append(contentsOf: " \t ".utf8) }  // trailing white space
            output.append(contentsOf: "\r\n".utf8)
        }
        return output
    }

    /// A temporary directory removed when the test's closure returns.
    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dkim-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// A verifier that finds the records of the given keys.
    static func verifier(for keys: [DKIMKey]) -> DKIMVerifier {
        var records: [String: String] = [:]
        for key in keys {
            var name = key.dnsRecord.name
            name.removeLast()  // the final dot
            records[name] = key.dnsRecord.characterStrings.joined()
        }
        let published = records
        return DKIMVerifier(keyLookup: { published[$0] }, clock: { fixedDate })
    }

    static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
