/// The header section of a message, split into fields, top to bottom.
///
/// The server buffers the header block of each message (it is small and bounded
/// by the message size limit) while the body is streamed; this type parses that
/// buffer. Line endings are taken as CRLF: a bare LF is read as a line end, as
/// it becomes CRLF on the wire (RFC 5322 §2.1, RFC 5321 §2.3.8), so a message
/// written with LF line ends signs the same as the CRLF form a verifier sees.
///
/// Parsing stops at the first empty line (the separator before the body), so
/// the input may be the header block alone or the whole message.
public struct DKIMHeaderBlock: Hashable, Sendable {
    /// The fields in message order.
    public let fields: [DKIMHeaderField]
    /// How many bytes of the input the header block took, the empty separator
    /// line included when there was one: the body starts at this offset.
    public let byteCount: Int

    /// Parses a header block.
    ///
    /// - Throws: ``DKIMError/malformedHeader(line:)`` for a line that is neither a
    ///   field (`name:`) nor a continuation (starting with WSP, RFC 5322 §2.2.3),
    ///   including a continuation line before any field.
    public init(parsing bytes: some Collection<UInt8>) throws(DKIMError) {
        let input = Array(bytes)
        var fields: [DKIMHeaderField] = []
        var current: [UInt8] = []
        var lineNumber = 0
        var position = 0
        var consumed = input.count

        func finishField() throws(DKIMError) {
            guard !current.isEmpty else { return }
            guard let field = DKIMHeaderField(raw: current) else {
                throw .malformedHeader(line: lineNumber)
            }
            fields.append(field)
            current.removeAll(keepingCapacity: true)
        }

        while position < input.count {
            lineNumber += 1
            // Find the end of this line: LF, with an optional CR before it.
            var end = position
            while end < input.count, input[end] != ASCII.lf {
                end += 1
            }
            let next = end < input.count ? end + 1 : end
            var contentEnd = end
            if end < input.count, contentEnd > position, input[contentEnd - 1] == ASCII.cr {
                contentEnd -= 1
            }
            let line = input[position..<contentEnd]
            if line.isEmpty {
                // The empty line ends the header section (RFC 5322 §2.1).
                consumed = next
                break
            }
            if line.first == ASCII.space || line.first == ASCII.tab {
                // RFC 5322 §2.2.3: a continuation of the field above.
                guard !current.isEmpty else { throw .malformedHeader(line: lineNumber) }
                current.append(ASCII.cr)
                current.append(ASCII.lf)
                current.append(contentsOf: line)
            } else {
                try finishField()
                current.append(contentsOf: line)
                // Validate now so the error names the line the field starts on.
                if DKIMHeaderField(raw: current) == nil {
                    throw .malformedHeader(line: lineNumber)
                }
            }
            position = next
        }
        try finishField()
        self.fields = fields
        self.byteCount = consumed
    }

    /// Creates a block from fields already parsed.
    public init(fields: [DKIMHeaderField]) {
        self.fields = fields
        self.byteCount = fields.reduce(0) { $0 + $1.raw.count + 2 }
    }
}
