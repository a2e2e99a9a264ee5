/// The input side of an SMTP server session, with no I/O: command lines through a
/// `LineFramer`, and the two ways message content arrives between them.
///
/// - Lines: CRLF-terminated, at most `maxLineLength` octets (see `LineFramer` for the refusals).
/// - DATA (RFC 5321 §4.1.1.4): after `receiveData(maxSize:)`, bytes go through a `DataDecoder`
///   up to CRLF.CRLF; what follows it is command input again.
/// - BDAT (RFC 3030 §2): after `receiveChunk(size:last:)`, exactly `size` raw octets, checked
///   for octets no message may contain (`DataError.isForbidden`); after
///   `discardChunk(size:)`, exactly `size` octets dropped (a refused BDAT's chunk still follows
///   on the wire).
///
/// The driver tells the framer which phase comes next (the session state machine decides it);
/// the framer never switches from lines to content on its own. Like `LineFramer`, it reads
/// only when asked (`next()`), so input waiting behind a pending decision stays buffered.
///
/// ```
/// framer.append(bytes)
/// while !waiting, let event = framer.next() {
///     switch event {
///     case .line(let line): perform(machine.receivedLine(line, moreInputBuffered: framer.bufferedCount > 0))
///     case .content(let bytes): message.write(bytes)
///     case .dataEnded(let size, let error): perform(machine.dataFinished(...))
///     ...
///     }
/// }
/// ```
public struct SMTPInputFramer: Sendable {
    /// One unit of session input.
    public enum Event: Sendable, Hashable {
        /// A command line (or SASL response), CRLF removed.
        case line([UInt8])
        /// A command line over the limit; skipped up to its LF.
        case lineTooLong
        /// A command line with a bare CR or LF; skipped up to its LF.
        case bareLineEnding
        /// Message content: DATA unstuffed (CRLF kept), or a BDAT chunk's octets as sent.
        /// Not emitted once the content is known to be refused.
        case content([UInt8])
        /// CRLF.CRLF ended the DATA content: `size` unstuffed octets, `error` the first
        /// reason to refuse it, if any.
        case dataEnded(size: Int, error: DataError?)
        /// The BDAT chunk's octets were all read; `forbidden` when they hold an octet no
        /// message may contain.
        case chunkEnded(last: Bool, forbidden: DataError?)
    }

    private enum Phase: Sendable {
        case lines
        case data(DataDecoder)
        case chunk(remaining: Int, last: Bool, forbidden: DataError?)
        case discarding(remaining: Int)
    }

    private var lines: LineFramer
    private var phase: Phase = .lines
    /// The end of DATA found in the same input as the content just returned.
    private var pendingEnd: Event?

    public init(maxLineLength: Int) {
        lines = LineFramer(maxLineLength: maxLineLength)
    }

    /// The longest accepted command line, CRLF included.
    public var maxLineLength: Int {
        get { lines.maxLineLength }
        set { lines.maxLineLength = newValue }
    }

    /// Octets received and not yet read.
    public var bufferedCount: Int { lines.bufferedCount }

    /// True while reading command lines at a line start: not in message content, not
    /// skipping a refused line, no event pending.
    public var isAtCommandLine: Bool {
        guard case .lines = phase, pendingEnd == nil else { return false }
        return !lines.isSkippingLine
    }

    /// True while DATA content is being read (it has its own timeout, RFC 5321 §4.5.3.2.5).
    public var isReceivingData: Bool {
        if case .data = phase { return true }
        return false
    }

    /// Adds received octets.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        lines.append(bytes)
    }

    /// Drops everything buffered (RFC 3207 §4.2: commands pipelined after STARTTLS).
    public mutating func discardBuffered() {
        lines.discardBuffered()
    }

    /// The 354 was sent: what follows is DATA content up to CRLF.CRLF.
    public mutating func receiveData(maxSize: Int?) {
        phase = .data(DataDecoder(maxSize: maxSize))
    }

    /// A BDAT command was accepted: the next `size` octets are its chunk.
    public mutating func receiveChunk(size: Int, last: Bool) {
        phase = .chunk(remaining: size, last: last, forbidden: nil)
    }

    /// A BDAT command was refused: the next `size` octets are dropped unread.
    public mutating func discardChunk(size: Int) {
        phase = .discarding(remaining: size)
    }

    /// The next event, or nil when more input is needed.
    public mutating func next() -> Event? {
        if let pendingEnd {
            self.pendingEnd = nil
            return pendingEnd
        }
        while true {
            switch phase {
            case .lines:
                switch lines.nextLine() {
                case .line(let line): return .line(line)
                case .tooLong: return .lineTooLong
                case .bareLineEnding: return .bareLineEnding
                case nil: return nil
                }
            case .data(var decoder):
                guard lines.bufferedCount > 0 else { return nil }
                let input = lines.buffered
                let events = decoder.feed(input)
                var content: Event?
                var end: Event?
                var leftover = 0
                for event in events {
                    switch event {
                    case .content(let bytes):
                        content = .content(bytes)
                    case .end(let rest):
                        leftover = rest.count
                        end = .dataEnded(size: decoder.byteCount, error: nil)
                    case .rejected(let error, let rest):
                        leftover = rest.count
                        end = .dataEnded(size: decoder.byteCount, error: error)
                    }
                }
                // The octets after CRLF.CRLF stay buffered: they are the next commands.
                lines.consume(input.count - leftover)
                phase = end == nil ? .data(decoder) : .lines
                guard let content else {
                    if let end { return end }
                    continue
                }
                pendingEnd = end
                return content
            case .chunk(let remaining, let last, let forbidden):
                guard remaining > 0 else {
                    phase = .lines
                    return .chunkEnded(last: last, forbidden: forbidden)
                }
                guard lines.bufferedCount > 0 else { return nil }
                let piece = Array(lines.buffered.prefix(remaining))
                lines.consume(piece.count)
                let found = forbidden ?? DataError.forbiddenContent(in: piece)
                phase = .chunk(remaining: remaining - piece.count, last: last, forbidden: found)
                // After a forbidden octet nothing more is handed on: the message will be refused.
                if found == nil { return .content(piece) }
            case .discarding(let remaining):
                let count = min(remaining, lines.bufferedCount)
                lines.consume(count)
                guard remaining == count else {
                    phase = .discarding(remaining: remaining - count)
                    return nil
                }
                phase = .lines
            }
        }
    }
}
