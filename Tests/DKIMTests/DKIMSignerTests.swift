import DKIM
import Foundation
import Testing

@Suite("Signing (RFC 6376 §5, RFC 8463)")
struct DKIMSignerTests {
    static let keys: [DKIMKey] = [TestKeys.rsa, TestKeys.ed25519]

    static func signer(_ keys: [DKIMKey]) -> DKIMSigner {
        DKIMSigner(keys: keys, clock: { TestMessages.fixedDate })
    }

    /// The signature fields' text, unfolded.
    static func unfolded(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n\t", with: " ").replacingOccurrences(of: "\r\n ", with: " ")
    }

    static func tags(of field: String) -> [String: String] {
        let value = unfolded(field).drop { $0 != ":" }.dropFirst()
        var tags: [String: String] = [:]
        for spec in value.split(separator: ";") {
            let parts = spec.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            tags[parts[0].trimmingCharacters(in: .whitespacesAndNewlines)] =
                parts[1].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return tags
    }

    @Test("a signed message verifies", arguments: [TestKeys.rsa, TestKeys.ed25519])
    func roundTrip(key: DKIMKey) throws {
        let message = TestMessages.simpleMessage
        let fields = try Self.signer([key]).sign(message: message)
        let signed = Array(fields.utf8) + message
        let results = TestMessages.verifier(for: [key]).verify(message: signed)
        #expect(results.count == 1)
        #expect(results.first?.status == .pass)
        #expect(results.first?.algorithm == key.type.signatureAlgorithm)
    }

    @Test("the tags: v, a, c, d, s, t, h, bh, b")
    func tagValues() throws {
        let fields = try Self.signer([TestKeys.rsa]).sign(message: TestMessages.simpleMessage)
        #expect(fields.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=alato.example;"))
        #expect(fields.hasSuffix("\r\n"))
        let tags = Self.tags(of: fields)
        #expect(tags["s"] == "mail2025")
        #expect(tags["t"] == "1735787045")
        #expect(tags["h"]?.replacingOccurrences(of: " ", with: "")
                == "from:from:subject:subject:date:message-id:to:to:mime-version:content-type")
        let body = Array(TestMessages.simpleMessage[try DKIMHeaderBlock(parsing: TestMessages.simpleMessage).byteCount...])
        #expect(tags["bh"] == DKIMBodyHash(body: body).base64)
        let signature = try #require(tags["b"].flatMap { Data(base64Encoded: $0.replacingOccurrences(of: " ", with: "")) })
        #expect(signature.count == 256)  // RSA-2048
    }

    @Test("Ed25519 signatures are 64 bytes")
    func ed25519Length() throws {
        let fields = try Self.signer([TestKeys.ed25519]).sign(message: TestMessages.simpleMessage)
        let tags = Self.tags(of: fields)
        #expect(tags["a"] == "ed25519-sha256")
        let signature = try #require(tags["b"].flatMap { Data(base64Encoded: $0.replacingOccurrences(of: " ", with: "")) })
        #expect(signature.count == 64)
    }

    @Test("folded lines stay within 78 characters and fold with a tab")
    func folding() throws {
        let fields = try Self.signer(Self.keys).sign(message: TestMessages.simpleMessage)
        let lines = fields.components(separatedBy: "\r\n").dropLast()
        #expect(lines.count > 4)
        for line in lines {
            #expect(line.count <= 78, "\(line)")
        }
        for line in lines where !line.hasPrefix("DKIM-Signature:") {
            #expect(line.hasPrefix("\t"))
        }
    }

    @Test("a fixed clock gives byte-identical RSA output")
    func deterministic() throws {
        let first = try Self.signer([TestKeys.rsa]).sign(message: TestMessages.simpleMessage)
        let second = try Self.signer([TestKeys.rsa]).sign(message: TestMessages.simpleMessage)
        #expect(first == second)
        let later = try DKIMSigner(keys: [TestKeys.rsa], clock: { TestMessages.fixedDate + 60 })
            .sign(message: TestMessages.simpleMessage)
        #expect(later != first)
        #expect(Self.tags(of: later)["t"] == "1735787105")
    }

    @Test("dual signing: two fields, RSA first, each verifies, neither covers the other")
    func dualSigning() throws {
        let fields = try Self.signer(Self.keys).sign(message: TestMessages.simpleMessage)
        let parts = fields.components(separatedBy: "DKIM-Signature:").filter { !$0.isEmpty }
        #expect(parts.count == 2)
        let tags = parts.map { Self.tags(of: "DKIM-Signature:" + $0) }
        #expect(tags.map { $0["a"] } == ["rsa-sha256", "ed25519-sha256"])
        #expect(tags.allSatisfy { !($0["h"] ?? "").contains("dkim-signature") })
        #expect(tags[0]["bh"] == tags[1]["bh"])

        let signed = Array(fields.utf8) + TestMessages.simpleMessage
        let results = TestMessages.verifier(for: Self.keys).verify(message: signed)
        #expect(results.map(\.status) == [.pass, .pass])

        // Removing either signature leaves the other valid: it does not cover it.
        for kept in parts {
            let alone = Array(("DKIM-Signature:" + kept).utf8) + TestMessages.simpleMessage
            #expect(TestMessages.verifier(for: Self.keys).verify(message: alone).map(\.status) == [.pass])
        }
    }

    @Test("streamed body and header block sign like the whole message")
    func streamingMatchesWhole() throws {
        let body = TestMessages.body(size: 100_000)
        let header = TestMessages.crlf(TestMessages.simpleHeader)
        let message = header + Array("\r\n".utf8) + body
        let signer = Self.signer([TestKeys.rsa])
        var hasher = signer.makeBodyHasher()
        var offset = 0
        while offset < body.count {
            let end = min(offset + 1_337, body.count)
            hasher.update(body[offset..<end])
            offset = end
        }
        let streamed = try signer.sign(headerBlock: header, bodyHash: hasher.finalize())
        #expect(streamed == (try signer.sign(message: message)))
    }

    @Test("tampering is detected", arguments: [
        ("Lunch on", "Dinner on"),                                          // signed Subject changed
        ("Shall we meet at noon?", "Shall we meet at midnight?"),            // body changed
        ("From: Hanako", "From: evil@example.org\r\nFrom: Hanako"),             // From added above
        ("X-Mailer: test", "X-Mailer: test\r\nTo: extra@example.org"),       // To added at the bottom
        ("To: Taro", "To: extra@example.org\r\nTo: Taro"),                   // To added above (oversigned)
        ("Subject: Lunch", "Subject: Wire money\r\nSubject: Lunch"),         // Subject added above (oversigned)
        ("Hanako\r\n", "Hanako\r\nP.S. wire money\r\n"),                     // text appended to body
    ])
    func tampering(original: String, replacement: String) throws {
        let key = TestKeys.ed25519
        let message = TestMessages.simpleMessage
        let signed = TestMessages.string(Array(try Self.signer([key]).sign(message: message).utf8) + message)
        let altered = signed.replacingOccurrences(of: original, with: replacement)
        #expect(altered != signed)
        let results = TestMessages.verifier(for: [key]).verify(message: Array(altered.utf8))
        #expect(results.count == 1)
        #expect(results.first?.passed == false)
    }

    @Test("unsigned fields and white space may change without breaking the signature")
    func tolerated() throws {
        let key = TestKeys.rsa
        let message = TestMessages.simpleMessage
        let signed = TestMessages.string(Array(try Self.signer([key]).sign(message: message).utf8) + message)
        let relayed = ("Received: from mail.alato.example by mx.example.net; Thu, 2 Jan 2025 03:05:00 +0000\r\n" + signed)
            .replacingOccurrences(of: "X-Mailer: test", with: "X-Mailer: changed\r\nX-Spam-Score: 0.1")
            .replacingOccurrences(of: "To: Taro <taro@example.net>", with: "To:   Taro\r\n  <taro@example.net>")
        let results = TestMessages.verifier(for: [key]).verify(message: Array(relayed.utf8))
        #expect(results.map(\.status) == [.pass])
    }

    @Test("repeated fields are signed bottom-up")
    func repeatedFields() throws {
        let key = TestKeys.ed25519
        let message = TestMessages.crlf([
            "From: a@alato.example", "Cc: one@example.net", "Subject: s", "Cc: two@example.net", "", "body",
        ])
        let signed = TestMessages.string(Array(try Self.signer([key]).sign(message: message).utf8) + message)
        let verifier = TestMessages.verifier(for: [key])
        #expect(verifier.verify(message: Array(signed.utf8)).map(\.status) == [.pass])
        // Swapping the two Cc values changes the bottom-up order the hash saw.
        let swapped = signed
            .replacingOccurrences(of: "Cc: one@example.net", with: "Cc: TMP")
            .replacingOccurrences(of: "Cc: two@example.net", with: "Cc: one@example.net")
            .replacingOccurrences(of: "Cc: TMP", with: "Cc: two@example.net")
        #expect(verifier.verify(message: Array(swapped.utf8)).first?.passed == false)
    }

    @Test("a message without From cannot be signed")
    func missingFrom() {
        #expect(throws: DKIMError.missingFrom) {
            try Self.signer(Self.keys).sign(message: TestMessages.crlf(["To: a@example.net", "", "x"]))
        }
    }

    @Test("a malformed header block is an error")
    func malformedHeader() {
        #expect(throws: DKIMError.malformedHeader(line: 2)) {
            try Self.signer(Self.keys).sign(message: TestMessages.crlf(["From: a@alato.example", "garbage", "", "x"]))
        }
    }

    @Test("no keys, no fields")
    func noKeys() throws {
        #expect(try Self.signer([]).sign(message: TestMessages.simpleMessage) == "")
    }

    @Test("an empty body signs and verifies", arguments: [TestKeys.rsa, TestKeys.ed25519])
    func emptyBody(key: DKIMKey) throws {
        let message = TestMessages.crlf(["From: a@alato.example", "Subject: empty"])
        let fields = try Self.signer([key]).sign(message: message)
        #expect(Self.tags(of: fields)["bh"] == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        let results = TestMessages.verifier(for: [key]).verify(message: Array(fields.utf8) + message)
        #expect(results.map(\.status) == [.pass])
    }

    @Test("invalid names are refused", arguments: ["", "../etc", "a..b", "-a.example", "a_b.example", "a b"])
    func invalidNames(name: String) {
        #expect(throws: DKIMError.invalidDomain(name)) {
            try DKIMKey.generate(domain: name, selector: "s", type: .ed25519)
        }
        #expect(throws: DKIMError.invalidSelector(name)) {
            try DKIMKey.generate(domain: "alato.example", selector: name, type: .ed25519)
        }
    }

    @Test("the domain is lower-cased and loses a final dot")
    func domainNormalized() throws {
        let key = try DKIMKey.generate(domain: "Virtual.Example.", selector: "s1", type: .ed25519)
        #expect(key.domain == "virtual.example")
        #expect(!key.description.contains(key.publicKeyBase64))
    }
}
