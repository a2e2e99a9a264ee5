/// A small scanner for the header block of a message (RFC 5322 §2.2), used by
/// submission to add missing `Message-ID:`/`Date:` (RFC 6409 §8) and to check that the
/// `From:` addresses belong to the authenticated account.
///
/// It stops at the first empty line. Lines may end in CRLF (as `DataDecoder` delivers)
/// or, from BDAT, a bare LF. Folded fields are unfolded before parsing (RFC 5322 §2.2.3).
public enum HeaderScanner {
    /// Scans `bytes`, which should hold at least the whole header block.
    public static func scan(_ bytes: some Collection<UInt8>) -> HeaderSummary {
        let input = Array(bytes)
        var summary = HeaderSummary()
        var fromMailboxes: [Mailbox] = []
        var fromParseFailed = false
        var fields: [[UInt8]] = []
        var current: [UInt8]?
        var index = 0
        var complete = false

        while index < input.count {
            // One physical line, without its line ending.
            var end = index
            while end < input.count, input[end] != ASCII.lf { end += 1 }
            var lineEnd = end
            if lineEnd > index, input[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            let line = Array(input[index..<lineEnd])
            let terminated = end < input.count
            index = terminated ? end + 1 : end

            if line.isEmpty && terminated {
                complete = true
                break
            }
            if let first = line.first, first == ASCII.space || first == ASCII.tab {
                // Continuation of the previous field (RFC 5322 §2.2.3: unfold by removing CRLF).
                current?.append(contentsOf: line)
            } else {
                if let field = current { fields.append(field) }
                current = line
            }
        }
        if let field = current { fields.append(field) }

        for field in fields {
            guard let colon = field.firstIndex(of: ASCII.colon) else { continue }
            // RFC 5322 §3.6.8: field-name = 1*ftext; trailing WSP tolerated (obs-optional).
            var nameBytes = field[..<colon]
            while let last = nameBytes.last, last == ASCII.space || last == ASCII.tab { nameBytes = nameBytes.dropLast() }
            let name = String(decoding: nameBytes.map(ASCII.lowercased), as: UTF8.self)
            let value = Array(field[(colon + 1)...])
            switch name {
            case "message-id": summary.hasMessageID = true
            case "date": summary.hasDate = true
            case "from":
                summary.fromFieldCount += 1
                if let parsed = AddressListParser.parse(value) {
                    fromMailboxes.append(contentsOf: parsed)
                } else {
                    fromParseFailed = true
                }
            default: break
            }
        }
        // Fail closed: one unparseable From field hides all addresses.
        summary.fromMailboxes = fromParseFailed ? [] : fromMailboxes
        summary.fromParseFailed = fromParseFailed
        summary.isComplete = complete
        summary.headerLength = index
        return summary
    }
}
