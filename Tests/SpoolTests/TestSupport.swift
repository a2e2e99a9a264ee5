import Foundation
import SMTPCore
@testable import Spool

/// A fresh folder under the system temporary directory.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = "\(FileManager.default.temporaryDirectory.path)/portcullis-spool-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Names in a subfolder, sorted (empty when it does not exist).
    func names(in subfolder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(subfolder)")) ?? []).sorted()
    }
}

/// A mailbox from test text.
func mailbox(_ text: String) -> Mailbox {
    guard let mailbox = Mailbox(parsing: text) else { fatalError("not a mailbox: \(text)") }
    return mailbox
}

/// An envelope with every field set, for round trips; `sender` "" is `<>`.
func sampleEnvelope(recipients: [String] = ["taro@alato.example"], sender: String = "hanako@virtual.example") -> SpoolEnvelope {
    SpoolEnvelope(
        sender: sender.isEmpty ? .null : .mailbox(mailbox(sender)),
        recipients: recipients.enumerated().map { index, address in
            SpoolRecipient(mailbox(address), notify: index == 0 ? .on([.failure, .delay]) : nil,
                           originalRecipient: index == 0 ? OriginalRecipient(addressType: "rfc822", address: address) : nil)
        },
        ret: .headers, envelopeID: "QQ314159", body: .eightBitMIME, smtputf8: true,
        arrival: Date(timeIntervalSince1970: 1_800_000_000.25), clientAddress: "203.0.113.9",
        heloName: "client.example.net", authenticatedAccount: "hanako@virtual.example", origin: .received(.submission))
}

/// A message of `count` octets whose content depends on `seed`, so mix-ups are detected.
func sampleMessage(seed: Int, count: Int = 4096) -> [UInt8] {
    let header = Array("Subject: message \(seed)\r\n\r\n".utf8)
    var bytes = header
    var value = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 1)
    while bytes.count < count {
        value = value &* 1_664_525 &+ 1_013_904_223
        bytes.append(UInt8(0x41 + (value >> 24) % 26))
    }
    return Array(bytes.prefix(count))
}

/// Writes `bytes` in chunks of `chunk` and commits.
@discardableResult
func spoolMessage(_ spool: Spool, _ bytes: [UInt8], envelope: SpoolEnvelope = sampleEnvelope(), chunk: Int = 1000) async throws -> QueueID {
    let writer = try spool.beginMessage()
    var index = 0
    while index < bytes.count {
        let end = min(bytes.count, index + chunk)
        try writer.write(bytes[index..<end])
        index = end
    }
    return try await writer.commit(envelope: envelope)
}

/// The bytes of a committed message.
func storedBytes(_ spool: Spool, _ id: QueueID) throws -> [UInt8] {
    Array(try spool.messageData(of: id))
}
