/// Where a ``DKIMBodyCanonicalizer`` writes canonical bytes.
protocol DKIMCanonicalOutput {
    mutating func append(_ byte: UInt8)
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
        for byte in chunk {
            if pendingCR {
                pendingCR = false
                if byte == ASCII.lf {
                    endLine(into: &output)
                    continue
                }
                content(ASCII.cr, into: &output)
            }
            switch byte {
            case ASCII.cr:
                pendingCR = true
            case ASCII.lf:
                endLine(into: &output)
            case ASCII.space where relaxed, ASCII.tab where relaxed:
                // RFC 6376 §3.4.4: runs of WSP become one SP, WSP at line end goes.
                pendingSpace = true
            default:
                content(byte, into: &output)
            }
        }
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
        while pendingEmptyLines > 0 {
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            pendingEmptyLines -= 1
        }
        if pendingSpace {
            output.append(ASCII.space)
            pendingSpace = false
        }
        output.append(byte)
        lineHasContent = true
        wroteAnything = true
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
