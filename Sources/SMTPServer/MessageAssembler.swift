import DKIM
import SMTPCore

/// Turns the unstuffed DATA/BDAT stream into the spooled message: our Received header first,
/// then (on submission) Message-ID and Date when the client left them out (RFC 6409 §8.2, §8.3),
/// then the client's header and body.
///
/// The header block is held in memory until its end (the first empty line) so these decisions
/// can be made before anything is written, bounded by `maxHeaderBytes` like Postfix's
/// header_size_limit; past that the rest is treated as body.
///
/// It only writes to the sink; the `MessageReception` that made it commits or aborts it.
final class MessageAssembler {
    private let sink: any MessageSink
    private let prefix: [UInt8]
    private let addMissingHeaders: Bool
    private let hostname: String
    private let maxHeaderBytes: Int
    private var header: [UInt8] = []
    private var headerDone = false
    private(set) var summary = HeaderSummary()
    private(set) var bytesWritten = 0
    /// Chooses the DKIM signer from the From: domain once the header block is known.
    private let signerForDomain: (String) -> DKIMSigner?
    private var signing: (signer: DKIMSigner, header: [UInt8], hasher: DKIMBodyHasher)?
    private var headerScanEnd = 0

    init(sink: any MessageSink, receivedHeader: String, addMissingHeaders: Bool, hostname: String,
         maxHeaderBytes: Int = 102_400, signerForDomain: @escaping (String) -> DKIMSigner? = { _ in nil }) {
        self.sink = sink
        self.signerForDomain = signerForDomain
        self.prefix = Array(receivedHeader.utf8)
        self.addMissingHeaders = addMissingHeaders
        self.hostname = hostname
        self.maxHeaderBytes = maxHeaderBytes
    }

    func append(_ bytes: [UInt8]) throws {
        if headerDone {
            try writeBody(bytes)
            return
        }
        header.append(contentsOf: bytes)
        if let end = Self.endOfHeader(in: header, from: headerScanEnd) {
            let rest = Array(header[end...])
            header.removeSubrange(end...)
            try flushHeader(complete: true)
            // The empty line separates header and body; it is not part of the signed body.
            try write(Array(rest.prefix(2)))
            try writeBody(Array(rest.dropFirst(2)))
        } else if header.count > maxHeaderBytes {
            try flushHeader(complete: false)
        } else {
            // Resume the search where it stopped, minus a possible partial CRLF CRLF.
            headerScanEnd = max(0, header.count - 3)
        }
    }

    /// Call at end of data. Returns the header fields to put before the message (DKIM-Signature),
    /// empty when the message is not signed.
    func finish() throws -> [UInt8] {
        if !headerDone { try flushHeader(complete: false) }
        guard let signing else { return [] }
        // A header the signer cannot parse is sent unsigned rather than refused: the message was
        // acceptable, and an unsigned message is what the recipient would get without DKIM.
        guard let fields = try? signing.signer.sign(headerBlock: signing.header, bodyHash: signing.hasher.finalize()) else {
            return []
        }
        return Array(fields.utf8)
    }

    /// `complete`: the header block ended with its empty line (not cut by the size limit or
    /// the end of the message); only then is it signed.
    private func flushHeader(complete: Bool) throws {
        headerDone = true
        summary = HeaderSummary(scanning: header)
        var out = prefix
        if addMissingHeaders {
            if !summary.hasDate {
                out += Array("Date: \(RFC5322Date.now().description)\r\n".utf8)
            }
            if !summary.hasMessageID {
                out += Array("Message-ID: \(MessageID.make(uniqueToken: sink.queueID, hostname: hostname))\r\n".utf8)
            }
        }
        out += header
        header = []
        if complete, let domain = summary.fromMailboxes.first?.domain.normalized, summary.fromMailboxes.count == 1,
           let signer = signerForDomain(domain) {
            signing = (signer, out, signer.makeBodyHasher())
        }
        try write(out)
    }

    private func writeBody(_ bytes: [UInt8]) throws {
        signing?.hasher.update(bytes)
        try write(bytes)
    }

    private func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        try sink.write(bytes)
    }

    /// Index just past the CRLF CRLF ending the header block, if present.
    /// A message whose very first line is empty has an empty header block.
    static func endOfHeader(in bytes: [UInt8], from start: Int = 0) -> Int? {
        if bytes.count >= 2 && bytes[0] == 13 && bytes[1] == 10 { return 0 }
        guard bytes.count >= 4, start <= bytes.count - 4 else { return nil }
        for index in start...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 2
        }
        return nil
    }
}
