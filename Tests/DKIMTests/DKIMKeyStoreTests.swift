import DKIM
import Foundation
import Testing

@Suite("Key store and DNS records")
struct DKIMKeyStoreTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("generated keys land in <data>/dkim/<domain>/<selector>.<type>.pem, mode 0600")
    func layout() throws {
        try TestMessages.withTemporaryDirectory { data in
            let store = DKIMKeyStore(dataDirectory: data)
            let rsa = try store.generate(domain: "Virtual.Example", selector: "mail2025", type: .rsa)
            let ed = try store.generate(domain: "virtual.example", selector: "ed2025", type: .ed25519)
            let folder = data.appendingPathComponent("dkim/virtual.example")
            let rsaPath = folder.appendingPathComponent("mail2025.rsa.pem").path
            let edPath = folder.appendingPathComponent("ed2025.ed25519.pem").path
            #expect(try Self.mode(rsaPath) == 0o600)
            #expect(try Self.mode(edPath) == 0o600)
            #expect(try Self.mode(folder.path) == 0o700)
            #expect(try Self.mode(data.appendingPathComponent("dkim").path) == 0o700)
            #expect(try store.fileURL(domain: "virtual.example", selector: "mail2025", type: .rsa).path == rsaPath)
            // Only the two keys, no temporary files left behind.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                    == ["ed2025.ed25519.pem", "mail2025.rsa.pem"])
            let edText = try String(contentsOfFile: edPath, encoding: .utf8)
            #expect(edText.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
            #expect(edText.hasSuffix("-----END PRIVATE KEY-----\n"))
            #expect(try String(contentsOfFile: rsaPath, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
            _ = (rsa, ed)
        }
    }

    @Test("keys load back with the same public keys, RSA first")
    func reload() throws {
        try TestMessages.withTemporaryDirectory { data in
            let store = DKIMKeyStore(dataDirectory: data)
            let ed = try store.generate(domain: "alato.example", selector: "a", type: .ed25519)
            let rsa = try store.generate(domain: "alato.example", selector: "b", type: .rsa)
            let loaded = try store.keys(for: "alato.example")
            #expect(loaded.map(\.type) == [.rsa, .ed25519])
            #expect(loaded.map(\.selector) == ["b", "a"])
            #expect(loaded.map(\.publicKeyBase64) == [rsa.publicKeyBase64, ed.publicKeyBase64])
            #expect(try store.keys(for: "example.org").isEmpty)
            #expect(try store.domains() == ["alato.example"])

            // A message signed with the loaded keys verifies with the records of the generated ones.
            let signer = DKIMSigner(keys: loaded, clock: { TestMessages.fixedDate })
            let message = TestMessages.simpleMessage
            let signed = Array(try signer.sign(message: message).utf8) + message
            #expect(TestMessages.verifier(for: [rsa, ed]).verify(message: signed).map(\.status) == [.pass, .pass])
        }
    }

    @Test("an existing key is never overwritten")
    func noOverwrite() throws {
        try TestMessages.withTemporaryDirectory { data in
            let store = DKIMKeyStore(dataDirectory: data)
            let first = try store.generate(domain: "alato.example", selector: "s", type: .ed25519)
            let path = try store.fileURL(domain: "alato.example", selector: "s", type: .ed25519).path
            #expect(throws: DKIMError.keyExists(path: path)) {
                try store.generate(domain: "alato.example", selector: "s", type: .ed25519)
            }
            #expect(try store.keys(for: "alato.example").map(\.publicKeyBase64) == [first.publicKeyBase64])
            // One selector, one DNS record: the other kind needs another selector.
            #expect(throws: DKIMError.selectorInUse(selector: "s", domain: "alato.example")) {
                try store.generate(domain: "alato.example", selector: "s", type: .rsa)
            }
            _ = try store.generate(domain: "alato.example", selector: "s-rsa", type: .rsa)
            #expect(try store.keys(for: "alato.example").count == 2)
        }
    }

    @Test("a damaged key file is reported, not skipped")
    func damagedFile() throws {
        try TestMessages.withTemporaryDirectory { data in
            let store = DKIMKeyStore(dataDirectory: data)
            _ = try store.generate(domain: "alato.example", selector: "s", type: .ed25519)
            let path = try store.fileURL(domain: "alato.example", selector: "bad", type: .ed25519).path
            try "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".write(
                toFile: path, atomically: true, encoding: .utf8)
            #expect {
                try store.keys(for: "alato.example")
            } throws: { error in
                guard case DKIMError.invalidKeyFile(let reported, _) = error else { return false }
                return reported == path
            }
        }
    }

    @Test("names that could leave the store are refused", arguments: ["..", "../x", "a/b", "x\0y"])
    func traversal(name: String) throws {
        let store = DKIMKeyStore(dataDirectory: URL(fileURLWithPath: "/nonexistent"))
        #expect(throws: DKIMError.self) { try store.fileURL(domain: name, selector: "s", type: .rsa) }
        #expect(throws: DKIMError.self) { try store.fileURL(domain: "alato.example", selector: name, type: .rsa) }
        #expect(throws: DKIMError.self) { try store.keys(for: name) }
    }

    @Test("RSA record: k=rsa, SubjectPublicKeyInfo, split into 255-octet strings")
    func rsaRecord() throws {
        let record = TestKeys.rsa.dnsRecord
        #expect(record.name == "mail2025._domainkey.alato.example.")
        #expect(record.text == "v=DKIM1; k=rsa; p=\(TestKeys.rsa.publicKeyBase64)")
        // A 2048-bit SubjectPublicKeyInfo is 294 bytes: 392 base64 characters.
        #expect(TestKeys.rsa.publicKeyBase64.count == 392)
        #expect(TestKeys.rsa.publicKeyBase64.hasPrefix("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"))
        let strings = record.characterStrings
        #expect(strings.count == 2)
        #expect(strings[0].utf8.count == 255)
        #expect(strings.allSatisfy { $0.utf8.count <= 255 })
        #expect(strings.joined() == record.text)
        #expect(record.zoneFileLine == "mail2025._domainkey.alato.example. IN TXT \"\(strings[0])\" \"\(strings[1])\"")
    }

    @Test("Ed25519 record: k=ed25519, 32 raw bytes, one string")
    func ed25519Record() throws {
        let record = TestKeys.ed25519.dnsRecord
        #expect(record.text.hasPrefix("v=DKIM1; k=ed25519; p="))
        let key = try #require(Data(base64Encoded: TestKeys.ed25519.publicKeyBase64))
        #expect(key.count == 32)
        #expect(record.characterStrings == [record.text])
        #expect(record.zoneFileLine == "ed2025._domainkey.alato.example. IN TXT \"\(record.text)\"")
    }

    @Test("splitting is exact at the 255-octet boundary", arguments: [0, 1, 232, 233, 234, 487, 488, 489])
    func splitting(length: Int) {
        let record = DKIMDNSRecord(selector: "s", domain: "alato.example", keyType: .rsa,
                                   publicKeyBase64: String(repeating: "A", count: length))
        let strings = record.characterStrings
        #expect(strings.joined() == record.text)
        #expect(strings.allSatisfy { $0.utf8.count <= 255 && !$0.isEmpty })
        #expect(strings.count == max(1, (record.text.utf8.count + 254) / 255))
    }
}
