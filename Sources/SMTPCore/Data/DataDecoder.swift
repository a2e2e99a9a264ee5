/// Streaming decoder for the DATA phase (RFC 5321 §4.1.1.4, §4.5.2).
///
/// Feed it bytes as they arrive; it removes dot-stuffing, keeps CRLF line endings and
/// finds the end of data. It holds no message bytes between calls (only a few states),
/// so memory stays bounded whatever the client sends.
///
/// End of data is only `CR LF . CR LF`, where the first CRLF may be the one that ended
/// the previous line, or the implicit line start right after the 354 (an empty message).
/// Bare CR and bare LF are errors and never take part in the end sequence, so `\n.\n`,
/// `\r.\r` and `\n.\r\n` cannot end the data: this is the SMTP-smuggling defence (a
/// downstream server that accepts such sequences would otherwise see a second message).
///
/// A NUL octet (`DataError.isForbidden`) anywhere in the content is an error too, so no NUL
/// reaches a mailbox or a downstream server.
///
/// After an error the decoder keeps consuming until the real `CRLF . CRLF` and reports
/// the first error there, so the session can reply and stay in sync, as Postfix does.
///
/// ```
/// var decoder = DataDecoder(maxSize: 10_000_000)
/// for event in decoder.feed(bytes) {
///     switch event {
///     case .content(let bytes): spool.write(bytes)
///     case .end(let leftover): finish(); handCommands(leftover)
///     case .rejected(let error, let leftover): refuse(error.reply); handCommands(leftover)
///     }
/// }
/// ```
public struct DataDecoder: Sendable {
    private enum State: Sendable {
        /// At the start of a line (after CRLF, or the first byte of the data).
        case lineStart
        /// A "." at the start of a line.
        case dotAtLineStart
        /// "." CR at the start of a line: LF ends the data.
        case dotCR
        /// Inside a line.
        case inLine
        /// A CR inside a line: LF ends the line.
        case cr
        /// The end of data was seen.
        case finished
    }

    private var state: State = .lineStart
    private var lineLength = 0

    /// The size limit in octets of unstuffed content, CRLFs included; nil for none.
    public let maxSize: Int?
    /// The longest allowed line without CRLF.
    public let maxLineLength: Int
    /// Unstuffed message octets seen so far (CRLFs included), also after an error.
    public private(set) var byteCount = 0
    /// The first error found, if any.
    public private(set) var error: DataError?

    /// Creates a decoder for one message.
    ///
    /// - Parameters:
    ///   - maxSize: refuse with `.tooBig` once the message exceeds this many octets.
    ///   - maxLineLength: refuse lines longer than this, CRLF excluded. Defaults to 998
    ///     (RFC 5321 §4.5.3.1.6).
    public init(maxSize: Int? = nil, maxLineLength: Int = SMTPLimits.textLine) {
        self.maxSize = maxSize
        self.maxLineLength = maxLineLength
    }

    /// True once `CRLF . CRLF` was seen; further input belongs to the command phase.
    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Consumes `bytes`. Returns at most one `.content` followed, when the end of data is
    /// in this chunk, by `.end` or `.rejected` carrying the bytes after it.
    ///
    /// Feeding after the end is a driver bug; the bytes are returned as leftover of a
    /// repeated end event so nothing is lost silently.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [DataEvent] {
        let input = Array(bytes)
        if isFinished { return [endEvent(leftover: input)] }

        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        var endEvent: DataEvent?
        while index < input.count {
            if case .inLine = state {
                // Fast path: the rest of an ordinary line, up to the next CR, LF or forbidden
                // octet, in bulk; those go through `step` one at a time.
                let end = input[index...].firstIndex {
                    $0 == ASCII.cr || $0 == ASCII.lf || DataError.isForbidden($0)
                } ?? input.count
                if end > index {
                    emitLineRun(input[index..<end], into: &output)
                    index = end
                    continue
                }
            }
            let byte = input[index]
            index += 1
            if step(byte, into: &output) {
                endEvent = self.endEvent(leftover: Array(input[index...]))
                break
            }
        }
        var events: [DataEvent] = []
        if !output.isEmpty { events.append(.content(output)) }
        if let endEvent { events.append(endEvent) }
        return events
    }

    private func endEvent(leftover: [UInt8]) -> DataEvent {
        if let error { return .rejected(error, leftover: leftover) }
        return .end(leftover: leftover)
    }

    /// Processes one byte; returns true when it completed `CRLF . CRLF`.
    private mutating func step(_ byte: UInt8, into output: inout [UInt8]) -> Bool {
        switch state {
        case .lineStart:
            switch byte {
            case ASCII.dot:
                state = .dotAtLineStart
            case ASCII.cr:
                state = .cr
            case ASCII.lf:
                fail(.bareLF)
                state = .inLine
            default:
                state = .inLine
                emitInLine(byte, into: &output)
            }
        case .dotAtLineStart:
            switch byte {
            case ASCII.cr:
                state = .dotCR
            case ASCII.lf:
                fail(.bareLF)
                state = .inLine
            default:
                // RFC 5321 §4.5.2: the leading dot of a line with more characters is
                // deleted; a stuffed ".." becomes ".".
                state = .inLine
                emitInLine(byte, into: &output)
            }
        case .dotCR:
            if byte == ASCII.lf {
                state = .finished
                return true
            }
            // ". CR x": the CR was bare. Re-read x as ordinary line content.
            fail(.bareCR)
            state = .inLine
            return step(byte, into: &output)
        case .inLine:
            switch byte {
            case ASCII.cr:
                state = .cr
            case ASCII.lf:
                fail(.bareLF)
            default:
                emitInLine(byte, into: &output)
            }
        case .cr:
            if byte == ASCII.lf {
                emit(ASCII.cr, into: &output)
                emit(ASCII.lf, into: &output)
                lineLength = 0
                state = .lineStart
            } else {
                fail(.bareCR)
                state = .inLine
                return step(byte, into: &output)
            }
        case .finished:
            break
        }
        return false
    }

    /// `emitInLine` for a run of line octets (no CR, no LF, no forbidden octet): the same counts and limits, one
    /// append. A run that would cross a limit goes octet by octet, so the output up to the
    /// error is exactly what the octet-wise decoder gives.
    private mutating func emitLineRun(_ run: ArraySlice<UInt8>, into output: inout [UInt8]) {
        let crossesLimit = error == nil
            && (lineLength + run.count > maxLineLength || maxSize.map { byteCount + run.count > $0 } == true)
        guard !crossesLimit else {
            for byte in run { emitInLine(byte, into: &output) }
            return
        }
        lineLength += run.count
        byteCount += run.count
        if error == nil { output.append(contentsOf: run) }
    }

    private mutating func emitInLine(_ byte: UInt8, into output: inout [UInt8]) {
        lineLength += 1
        // RFC 5321 §4.5.3.1.6: 1000 octets per line including CRLF, stuffed dot not counted.
        if lineLength > maxLineLength { fail(.lineTooLong) }
        if DataError.isForbidden(byte) { fail(.nul) }
        emit(byte, into: &output)
    }

    private mutating func emit(_ byte: UInt8, into output: inout [UInt8]) {
        byteCount += 1
        if let maxSize, byteCount > maxSize { fail(.tooBig) }
        if error == nil { output.append(byte) }
    }

    private mutating func fail(_ newError: DataError) {
        if error == nil { error = newError }
    }
}
