import TestSupport
import Testing
@testable import SMTPCore

/// Peers never crash us: random and mutated input through every entry point that takes
/// network bytes. The assertions are the absence of traps plus basic invariants.
@Suite struct StressTests {
    private static let seeds: [UInt64] = [1, 2, 3, 42, 1337]
    private static let alphabet = bytes("MAILFROMRCPTTO:<>@.\"\\[]=,; +-*0123456789abcdefIPv6:") + [0x0D, 0x0A, 0x00, 0xC3, 0xA9, 0xFF]

    private static func randomLine(_ generator: inout SplitMix64) -> [UInt8] {
        let length = Int.random(in: 0...80, using: &generator)
        return (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
    }

    @Test(arguments: seeds)
    func commandParserNeverTraps(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let prefixes = ["MAIL FROM:", "RCPT TO:", "EHLO ", "AUTH ", "BDAT ", ""].map(bytes)
        for _ in 0..<3000 {
            let line = prefixes.randomElement(using: &generator)! + Self.randomLine(&generator)
            if case .failure(let reply) = CommandParser.parse(line) {
                #expect(reply.isFailure)
            }
        }
    }

    @Test(arguments: seeds)
    func sessionNeverTrapsOnRandomLines(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var harness = SessionHarness(service: .submissionImplicitTLS, tlsActive: true, maxErrors: 1_000_000)
        harness.line("EHLO x")
        for _ in 0..<2000 {
            let actions = harness.machine.receivedLine(
                (["AUTH LOGIN", "NOOP", "RSET", "AUTH PLAIN"].map(bytes).randomElement(using: &generator)!)
                    + (Bool.random(using: &generator) ? [] : Self.randomLine(&generator)))
            // Complete whatever decision was requested, as the driver would.
            for action in actions {
                switch action {
                case .verifyCredentials: _ = harness.machine.credentialsVerified(.failure)
                case .checkSender: _ = harness.machine.senderChecked(.success(()))
                case .checkRecipient: _ = harness.machine.recipientChecked(.success(()))
                case .receiveData: _ = harness.machine.dataFinished(.rejected(.bareLineFeed))
                case .receiveChunk: _ = harness.machine.chunkFinished(.complete)
                case .queueMessage: _ = harness.machine.messageQueued(queueID: "Q")
                case .startTLS: _ = harness.machine.tlsEstablished(SessionHarness.tlsInfo)
                default: break
                }
            }
            if harness.machine.isClosed { break }
        }
    }

    @Test(arguments: seeds)
    func dataDecoderMatchesAReferenceOnRandomInput(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let pieces = ["\r\n", "\r", "\n", ".", "..", "a", "\r\n.\r\n", "\r\n..\r\n", "\n.\n"].map(bytes)
        for _ in 0..<300 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 0...30, using: &generator) {
                input += pieces.randomElement(using: &generator)!
            }
            input += bytes("\r\n.\r\n")
            // Reference: the first CRLF.CRLF (or leading ".CRLF") ends the data.
            let endOffset = referenceEnd(input)
            var decoder = DataDecoder()
            var terminal: DataEvent?
            var fed = 0
            while terminal == nil && fed < input.count {
                let size = Int.random(in: 1...7, using: &generator)
                let chunk = input[fed..<min(fed + size, input.count)]
                fed += chunk.count
                for event in decoder.feed(chunk) {
                    if case .content = event { continue }
                    terminal = event
                }
            }
            let leftoverCount: Int
            switch terminal {
            case .end(let leftover)?, .rejected(_, let leftover)?: leftoverCount = leftover.count
            default: leftoverCount = -1
            }
            #expect(fed - leftoverCount == endOffset)
        }
    }

    /// The offset just after the first `CRLF . CRLF`, treating the start as after a CRLF.
    private func referenceEnd(_ input: [UInt8]) -> Int {
        let withStart = bytes("\r\n") + input
        for index in 0...(withStart.count - 5)
        where Array(withStart[index..<(index + 5)]) == bytes("\r\n.\r\n") {
            return index + 5 - 2
        }
        return -1
    }

    @Test(arguments: seeds)
    func headerScannerNeverTraps(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        let pieces = ["From:", " ", "\"", "(", ")", "<", ">", "@", ",", ";", ":", "a", ".", "\r\n", "\r\n ", "[", "]", "\\"].map(bytes)
        for _ in 0..<2000 {
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                input += pieces.randomElement(using: &generator)!
            }
            let summary = HeaderScanner.scan(input)
            #expect(summary.headerLength <= input.count)
        }
    }
}
