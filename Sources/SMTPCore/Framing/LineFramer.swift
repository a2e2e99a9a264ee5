/// Splits a byte stream into CRLF-terminated lines, with no I/O: the plain line framing of
/// SMTP commands, and of any line protocol (POP3 commands, RFC 1939 §3; LMTP, RFC 2033).
///
/// Feed it bytes as they arrive with `append(_:)` and pull lines with `nextLine()`; nothing is
/// read before it is asked for, so a driver that waits for a decision simply stops pulling and
/// the input stays buffered in order (pipelining, RFC 2920 §3.2).
///
/// A line is refused, once, when:
/// - it is longer than `maxLineLength` octets including its CRLF (`.tooLong`; RFC 5321
///   §4.5.3.1.4, RFC 1939 §3 for POP3's 255);
/// - it holds a bare CR or ends with a bare LF (`.bareLineEnding`; RFC 5321 §2.3.8: the
///   SMTP-smuggling defence, no part of such a line is ever read as a command).
///
/// After a refusal the rest of the line is skipped up to its LF, so the next line starts in
/// sync with the client and nothing from the middle of the refused line runs. Each problem is
/// found at the octet that reveals it (the octet past the limit, the octet after a bare CR,
/// a bare LF), scanning in stream order, so the events do not depend on how the input was cut
/// into packets. Memory stays bounded: a line being skipped is not kept.
///
/// Protocols with a content phase (SMTP DATA and BDAT) read the raw bytes between lines
/// through `buffered` and `consume(_:)`; see `SMTPInputFramer`.
public struct LineFramer: Sendable {
    /// One unit of line input.
    public enum Event: Sendable, Hashable {
        /// A complete line, CRLF removed.
        case line([UInt8])
        /// A line over `maxLineLength`; it is skipped up to its LF.
        case tooLong
        /// A line with a bare CR or a bare LF; it is skipped up to its LF.
        case bareLineEnding
    }

    /// The longest accepted line in octets, CRLF included. May change between lines (an SMTP
    /// AUTH exchange allows longer ones, RFC 4954 §4).
    public var maxLineLength: Int

    private var storage: [UInt8] = []
    private var readIndex = 0
    /// Where the search for a line end resumes: octets before it hold no line end.
    private var scanIndex = 0
    /// The rest of a refused line is being dropped up to its LF.
    public private(set) var isSkippingLine = false

    public init(maxLineLength: Int) {
        self.maxLineLength = maxLineLength
    }

    /// Octets received and not yet consumed.
    public var bufferedCount: Int { storage.count - readIndex }

    /// The octets received and not yet consumed, for a content phase to read raw.
    public var buffered: ArraySlice<UInt8> { storage[readIndex...] }

    /// Adds received octets after those already buffered.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        compact()
        storage.append(contentsOf: bytes)
    }

    /// Marks `count` buffered octets as read (a content phase took them).
    public mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= bufferedCount, "consuming more than is buffered")
        readIndex += count
        scanIndex = max(scanIndex, readIndex)
    }

    /// Drops everything buffered, including a line being skipped: input that must not be
    /// executed (RFC 3207 §4.2, commands pipelined after STARTTLS).
    public mutating func discardBuffered() {
        storage.removeAll(keepingCapacity: true)
        readIndex = 0
        scanIndex = 0
        isSkippingLine = false
    }

    /// The next line event, or nil when more input is needed.
    public mutating func nextLine() -> Event? {
        if isSkippingLine {
            guard let lf = storage[readIndex...].firstIndex(of: ASCII.lf) else {
                discardBuffered()
                isSkippingLine = true
                return nil
            }
            readIndex = lf + 1
            scanIndex = readIndex
            isSkippingLine = false
        }
        // The octet at `limitIndex` would make the line too long whatever it is: even an LF
        // there ends a line of maxLineLength + 1 octets.
        let limitIndex = readIndex + maxLineLength
        var index = scanIndex
        while index < storage.count {
            if index >= limitIndex {
                readIndex = index
                scanIndex = index
                isSkippingLine = true
                return .tooLong
            }
            switch storage[index] {
            case ASCII.lf:
                let start = readIndex
                readIndex = index + 1
                scanIndex = readIndex
                guard index > start, storage[index - 1] == ASCII.cr else { return .bareLineEnding }
                return .line(Array(storage[start..<(index - 1)]))
            case ASCII.cr where index + 1 < storage.count && index + 1 < limitIndex && storage[index + 1] != ASCII.lf:
                readIndex = index + 1
                scanIndex = readIndex
                isSkippingLine = true
                return .bareLineEnding
            default:
                index += 1
            }
        }
        // A final CR may still be followed by its LF: look at it again with the next octet.
        scanIndex = max(readIndex, storage.count - 1)
        return nil
    }

    /// Reclaims consumed octets before appending, so the buffer holds only unread input.
    private mutating func compact() {
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            scanIndex = 0
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > storage.count {
            storage.removeSubrange(..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }
}
