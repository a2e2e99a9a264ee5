import SMTPCore

/// The DATA phase as a client sends it. The first input byte picks a size limit, a line
/// limit and a chunk size; the rest is fed once whole and once in chunks. TCP may split the
/// stream anywhere, so both must find the same end of data, the same verdict, the same
/// pipelined leftover and, for an accepted message, the same content.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let control = start[0]
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    let maxSize: Int? = control & 0x80 == 0 ? nil : Int(control & 0x3F) * 16
    let maxLineLength = control & 0x40 == 0 ? SMTPLimits.textLine : 16
    let chunkSize = Int(control & 0x0F) + 1

    var whole = DataDecoder(maxSize: maxSize, maxLineLength: maxLineLength)
    let expected = Outcome(whole.feed(bytes))

    var chunked = DataDecoder(maxSize: maxSize, maxLineLength: maxLineLength)
    var actual = Outcome([])
    var offset = 0
    while offset < bytes.count, actual.verdict == nil {
        let end = min(offset + chunkSize, bytes.count)
        let step = Outcome(chunked.feed(bytes[offset..<end]))
        actual.content += step.content
        if step.verdict != nil {
            actual.verdict = step.verdict
            // The chunks never fed belong to the command phase too.
            actual.leftover = step.leftover + bytes[end...]
        }
        offset = end
    }
    precondition(actual.verdict == expected.verdict, "verdict \(String(describing: actual.verdict)) fed in chunks, \(String(describing: expected.verdict)) whole")
    precondition(actual.leftover == expected.leftover, "leftover differs")
    if expected.verdict == "end" {
        precondition(actual.content == expected.content, "content differs")
    }
    precondition(whole.byteCount == chunked.byteCount, "byte count differs")
    precondition(whole.isFinished == chunked.isFinished, "isFinished differs")
    return 0
}

/// What a sequence of events amounts to.
private struct Outcome {
    var content: [UInt8] = []
    var verdict: String?
    var leftover: [UInt8] = []

    init(_ events: [DataEvent]) {
        for event in events {
            switch event {
            case .content(let bytes):
                content += bytes
            case .end(let rest):
                verdict = "end"
                leftover = rest
            case .rejected(let error, let rest):
                verdict = "rejected \(error)"
                leftover = rest
            }
        }
    }
}
