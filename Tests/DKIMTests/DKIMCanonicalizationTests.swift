import DKIM
import Testing

@Suite("Canonicalization (RFC 6376 §3.4)")
struct DKIMCanonicalizationTests {
    /// RFC 6376 §3.4.5, the example message, byte for byte.
    static let exampleHeader: [UInt8] = Array("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n".utf8)
    static let exampleBody: [UInt8] = Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)

    @Test("§3.4.5 example: relaxed header")
    func relaxedHeaderExample() throws {
        let block = try DKIMHeaderBlock(parsing: Self.exampleHeader)
        #expect(block.fields.count == 2)
        let canonical = block.fields.flatMap { DKIMCanonicalization.relaxed.canonicalize($0) }
        #expect(TestMessages.string(canonical) == "a:X\r\nb:Y Z\r\n")
    }

    @Test("§3.4.5 example: relaxed body")
    func relaxedBodyExample() {
        let canonical = DKIMCanonicalization.relaxed.canonicalizeBody(Self.exampleBody)
        #expect(TestMessages.string(canonical) == " C\r\nD E\r\n")
    }

    @Test("§3.4.5 example: simple header")
    func simpleHeaderExample() throws {
        let block = try DKIMHeaderBlock(parsing: Self.exampleHeader)
        let canonical = block.fields.flatMap { DKIMCanonicalization.simple.canonicalize($0) }
        #expect(TestMessages.string(canonical) == "A: X\r\nB : Y\t\r\n\tZ  \r\n")
    }

    @Test("§3.4.5 example: simple body")
    func simpleBodyExample() {
        let canonical = DKIMCanonicalization.simple.canonicalizeBody(Self.exampleBody)
        #expect(TestMessages.string(canonical) == " C \r\nD \t E\r\n")
    }

    @Test("relaxed header vectors", arguments: [
        ("Subject: hello", "subject:hello\r\n"),
        ("SUBJECT:hello", "subject:hello\r\n"),
        ("Subject \t:   hello  world \t", "subject:hello world\r\n"),
        ("Subject: a\r\n\tb\r\n  c", "subject:a b c\r\n"),
        ("Subject:\r\n fold first", "subject:fold first\r\n"),
        ("Subject:", "subject:\r\n"),
        ("Subject:   ", "subject:\r\n"),
        ("X-Header: caf\u{E9}  au\tlait", "x-header:caf\u{E9} au lait\r\n"),
    ])
    func relaxedHeaderVectors(input: String, expected: String) throws {
        let field = try #require(DKIMHeaderField(raw: Array(input.utf8)))
        #expect(TestMessages.string(DKIMCanonicalization.relaxed.canonicalize(field)) == expected)
    }

    @Test("relaxed body vectors", arguments: [
        ("", ""),
        ("\r\n", ""),
        ("\r\n\r\n\r\n", ""),
        ("  \r\n\t\r\n", ""),
        ("a", "a\r\n"),
        ("a  ", "a\r\n"),
        ("a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n"),
        ("a \t b\r\n", "a b\r\n"),
        ("  a\r\n", " a\r\n"),
        ("a\r\n \r\nb\r\n", "a\r\n\r\nb\r\n"),
        ("a\nb\n", "a\r\nb\r\n"),
        ("a\rb\r\n", "a\rb\r\n"),
        ("a\r", "a\r\r\n"),
    ])
    func relaxedBodyVectors(input: String, expected: String) {
        let canonical = DKIMCanonicalization.relaxed.canonicalizeBody(Array(input.utf8))
        #expect(TestMessages.string(canonical) == expected)
    }

    @Test("simple body vectors", arguments: [
        ("", "\r\n"),
        ("\r\n", "\r\n"),
        ("\r\n\r\n", "\r\n"),
        ("a", "a\r\n"),
        ("a  \r\n\r\n", "a  \r\n"),
        ("a \t b\r\n", "a \t b\r\n"),
        ("  \r\n", "  \r\n"),
        ("a\r\n\r\nb\r\n\r\n\r\n", "a\r\n\r\nb\r\n"),
    ])
    func simpleBodyVectors(input: String, expected: String) {
        let canonical = DKIMCanonicalization.simple.canonicalizeBody(Array(input.utf8))
        #expect(TestMessages.string(canonical) == expected)
    }

    /// Well-known body hashes: SHA-256 of the empty string (relaxed empty body)
    /// and of a single CRLF (simple empty body, RFC 6376 §3.4.3).
    @Test("empty body hashes")
    func emptyBodyHashes() {
        #expect(DKIMBodyHash(body: [], canonicalization: .relaxed).base64
                == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        #expect(DKIMBodyHash(body: [], canonicalization: .simple).base64
                == "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=")
        #expect(DKIMBodyHash(body: Array("\r\n\r\n".utf8), canonicalization: .relaxed).base64
                == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    }

    /// RFC 6376 Appendix A's body ("Hi.", "We lost the game. Are you hungry
    /// yet?", "Joe."), whose body hash RFC 8463 Appendix A.3 publishes for
    /// relaxed canonicalization.
    @Test("RFC 8463 A.3 body hash")
    func rfc8463BodyHash() {
        let body = Array("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n".utf8)
        #expect(DKIMBodyHash(body: body, canonicalization: .relaxed).base64
                == "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
    }

    @Test("streaming: one byte at a time gives the same hash", arguments: DKIMCanonicalization.allCases)
    func byteAtATime(canonicalization: DKIMCanonicalization) {
        let body = TestMessages.body(size: 4096) + Array(" \r\n\r\n\r".utf8) + TestMessages.body(size: 300, seed: 7)
            + Array("tail \t\r\n\r\n \r\n".utf8)
        let whole = DKIMBodyHash(body: body, canonicalization: canonicalization)
        var hasher = DKIMBodyHasher(canonicalization: canonicalization)
        for byte in body {
            hasher.update(CollectionOfOne(byte))
        }
        #expect(hasher.finalize() == whole)
    }

    @Test("streaming: every split point of a tricky body", arguments: DKIMCanonicalization.allCases)
    func everySplitPoint(canonicalization: DKIMCanonicalization) {
        let body = Array(" a \t b \r\n\r\n\t\r\nc\rd\r\n\r\n  \r\n".utf8)
        let whole = DKIMBodyHash(body: body, canonicalization: canonicalization)
        for split in 0...body.count {
            var hasher = DKIMBodyHasher(canonicalization: canonicalization)
            hasher.update(body[..<split])
            hasher.update(body[split...])
            #expect(hasher.finalize() == whole, "split at \(split)")
        }
    }

    @Test("streaming: finalize does not consume the hasher")
    func finalizeIsRepeatable() {
        var hasher = DKIMBodyHasher()
        hasher.update(Array("a\r\n\r\n".utf8))
        let first = hasher.finalize()
        #expect(hasher.finalize() == first)
        hasher.update(Array("b\r\n".utf8))
        #expect(hasher.finalize() == DKIMBodyHash(body: Array("a\r\n\r\nb\r\n".utf8)))
    }

    /// Huge input: a million empty lines are held as a count, not as bytes, and
    /// are written out in full when content follows them.
    @Test("huge runs of empty lines")
    func hugeEmptyRuns() {
        let empties = [UInt8](repeating: ASCIIByte.lf, count: 1_000_000)
        var onlyEmpty = DKIMBodyHasher()
        onlyEmpty.update(empties)
        #expect(onlyEmpty.finalize() == DKIMBodyHash(body: []))

        var withTail = DKIMBodyHasher()
        withTail.update(empties)
        withTail.update(Array("x".utf8))
        var expected = [UInt8]()
        expected.reserveCapacity(2_000_003)
        for _ in 0..<1_000_000 { expected.append(contentsOf: [ASCIIByte.cr, ASCIIByte.lf]) }
        expected.append(contentsOf: Array("x\r\n".utf8))
        #expect(withTail.finalize().digest == DKIMBodyHash(body: expected, canonicalization: .simple).digest)
    }
}

enum ASCIIByte {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
}
