/// Where a ``DKIMBodyCanonicalizer`` writes canonical bytes.
protocol DKIMCanonicalOutput {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeRawBufferPointer)
}

extension Array: DKIMCanonicalOutput where Element == UInt8 {}

/// Streaming body canonicalization (RFC 6376 §3.4.3, §3.4.4).
///
/// Bytes arrive in chunks of any size, split anywhere (even between CR and LF).
/// The only state carried between chunks is a few flags and a count of empty
/// lines not yet written: empty lines at the end of the body are dropped, so
/// they are held back as a number, not as bytes, until a line with content
/// shows they were not at the end. Memory stays constant whatever the body.
///
/// Line ends: CRLF, and a bare LF read as CRLF (see ``DKIMHeaderBlock``). A CR
/// not followed by LF is ordinary data.
struct DKIMBodyCanonicalizer {
    let canonicalization: DKIMCanonicalization
    /// A CR was the last byte seen; whether it starts a line end depends on the next byte.
    private var pendingCR = false
    /// Relaxed: white space seen in the current line and not yet written; it
    /// becomes one SP if content follows, nothing if the line ends.
    private var pendingSpace = false
    /// The current line has content written (its CRLF will be written too).
    private var lineHasContent = false
    /// Empty lines seen and not yet written.
    private var pendingEmptyLines = 0
    /// Anything at all was written (simple: an empty body becomes one CRLF).
    private var wroteAnything = false

    init(_ canonicalization: DKIMCanonicalization) {
        self.canonicalization = canonicalization
    }

    mutating func feed<Output: DKIMCanonicalOutput>(_ chunk: UnsafeRawBufferPointer, into output: inout Output) {
        let relaxed = canonicalization == .relaxed
        let count = chunk.count
        var index = 0
        while index < count {
            let byte = chunk[index]
            if pendingCR {
                pendingCR = false
                if byte == ASCII.lf {
                    endLine(into: &output)
                    index += 1
                    continue
                }
                content(ASCII.cr, into: &output)
            }
            if isPlain(byte, relaxed: relaxed) {
                // Fast path: a run of bytes that canonicalization keeps as they
                // are (in relaxed form, single spaces between them included) is
                // written in one piece.
                var end = index + 1
                while end < count {
                    let next = chunk[end]
                    if isPlain(next, relaxed: relaxed) {
                        end += 1
                    } else if relaxed, next == ASCII.space, end + 1 < count, isPlain(chunk[end + 1], relaxed: true) {
                        end += 2
                    } else {
                        break
                    }
                }
                content(UnsafeRawBufferPointer(rebasing: chunk[index..<end]), into: &output)
                index = end
                continue
            }
            switch byte {
            case ASCII.cr:
                pendingCR = true
            case ASCII.lf:
                endLine(into: &output)
            default:
                // Relaxed only: SP or HTAB. RFC 6376 §3.4.4: runs of WSP become
                // one SP, WSP at the end of a line goes.
                pendingSpace = true
            }
            index += 1
        }
    }

    /// A byte that is content as it stands: not a line end, and in relaxed
    /// form not white space.
    @inline(__always)
    private func isPlain(_ byte: UInt8, relaxed: Bool) -> Bool {
        if byte == ASCII.cr || byte == ASCII.lf { return false }
        if relaxed && (byte == ASCII.space || byte == ASCII.tab) { return false }
        return true
    }

    mutating func finish<Output: DKIMCanonicalOutput>(into output: inout Output) {
        if pendingCR {
            pendingCR = false
            content(ASCII.cr, into: &output)
        }
        if lineHasContent {
            // RFC 6376 §3.4.3, §3.4.4: a body not ending in CRLF gets one.
            endLine(into: &output)
        }
        // Trailing empty lines are dropped: pendingEmptyLines is discarded.
        pendingEmptyLines = 0
        pendingSpace = false
        if canonicalization == .simple && !wroteAnything {
            // RFC 6376 §3.4.3: "If there is no body or no trailing CRLF on the
            // message body, a CRLF is added." The relaxed form adds one only to a
            // non-empty body (§3.4.4), so an empty body stays empty there.
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            wroteAnything = true
        }
    }

    private mutating func content<Output: DKIMCanonicalOutput>(_ byte: UInt8, into output: inout Output) {
        flushPending(into: &output)
        output.append(byte)
        lineHasContent = true
        wroteAnything = true
    }

    private mutating func content<Output: DKIMCanonicalOutput>(_ bytes: UnsafeRawBufferPointer, into output: inout Output) {
        flushPending(into: &output)
        output.append(contentsOf: bytes)
        lineHasContent = true
        wroteAnything = true
    }

    /// Writes held-back empty lines and white space once content shows they
    /// were not at the end of a line or of the body.
    @inline(__always)
    private mutating func flushPending<Output: DKIMCanonicalOutput>(into output: inout Output) {
        while pendingEmptyLines > 0 {
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            pendingEmptyLines -= 1
        }
        if pendingSpace {
            output.append(ASCII.space)
            pendingSpace = false
        }
    }

    private mutating func endLine<Output: DKIMCanonicalOutput>(into output: inout Output) {
        pendingSpace = false
        if lineHasContent {
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            lineHasContent = false
        } else {
            pendingEmptyLines += 1
        }
    }
}
