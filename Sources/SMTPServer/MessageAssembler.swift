import SMTPCore

/// Turns the unstuffed DATA/BDAT stream into the spooled message: our Received header first,
/// then (on submission) Message-ID and Date when the client left them out (RFC 6409 §8.2, §8.3),
/// then the client's header and body.
///
/// The header block is held in memory until its end (the first empty line) so these decisions
/// can be made before anything is written, bounded by `maxHeaderBytes` like Postfix's
/// header_size_limit; past that the rest is treated as body.
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

    init(sink: any MessageSink, receivedHeader: String, addMissingHeaders: Bool, hostname: String, maxHeaderBytes: Int = 102_400) {
        self.sink = sink
        self.prefix = Array(receivedHeader.utf8)
        self.addMissingHeaders = addMissingHeaders
        self.hostname = hostname
        self.maxHeaderBytes = maxHeaderBytes
    }

    func append(_ bytes: [UInt8]) throws {
        if headerDone {
            try write(bytes)
            return
        }
        header.append(contentsOf: bytes)
        if let end = Self.endOfHeader(in: header) {
            let rest = Array(header[end...])
            header.removeSubrange(end...)
            try flushHeader()
            try write(rest)
        } else if header.count > maxHeaderBytes {
            try flushHeader()
        }
    }

    /// Call at end of data: a message with no body has not flushed its header yet.
    func finish() throws {
        if !headerDone { try flushHeader() }
    }

    func abort() { sink.abort() }

    private func flushHeader() throws {
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
        try write(out)
    }

    private func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        bytesWritten += bytes.count
        try sink.write(bytes)
    }

    /// Index just past the CRLF CRLF ending the header block, if present.
    /// A message whose very first line is empty has an empty header block.
    static func endOfHeader(in bytes: [UInt8]) -> Int? {
        if bytes.count >= 2 && bytes[0] == 13 && bytes[1] == 10 { return 0 }
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 2
        }
        return nil
    }
}
