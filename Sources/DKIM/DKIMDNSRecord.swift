/// The DNS TXT record that publishes a DKIM public key (RFC 6376 §3.6.2.2).
///
/// ```
/// mail2025._domainkey.alato.example. IN TXT "v=DKIM1; k=rsa; p=MIIBIjANBgkq…" "…IDAQAB"
/// ```
public struct DKIMDNSRecord: Hashable, Sendable {
    /// The owner name, fully qualified with the final dot: `<selector>._domainkey.<domain>.`
    public let name: String
    /// The record's text once the character-strings are joined: `v=DKIM1; k=…; p=…`.
    public let text: String

    /// Creates the record for a public key.
    ///
    /// - Parameters:
    ///   - selector: the selector (validated by ``DKIMKey``).
    ///   - domain: the signing domain (validated by ``DKIMKey``).
    ///   - keyType: goes into `k=` (RFC 6376 §3.6.1; `ed25519` from RFC 8463 §4.2).
    ///   - publicKeyBase64: the `p=` value: base64 of the SubjectPublicKeyInfo
    ///     for RSA, of the 32 raw key bytes for Ed25519 (RFC 8463 §4.2).
    public init(selector: String, domain: String, keyType: DKIMKeyType, publicKeyBase64: String) {
        self.name = "\(selector)._domainkey.\(domain)."
        self.text = "v=DKIM1; k=\(keyType.rawValue); p=\(publicKeyBase64)"
    }

    /// The text split into character-strings of at most 255 octets each
    /// (RFC 1035 §3.3.14, §3.3: a `<character-string>` has a one-octet length).
    /// Verifiers join them without separators (RFC 6376 §3.6.2.2). A 2048-bit RSA
    /// record needs two; an Ed25519 record fits in one.
    public var characterStrings: [String] {
        let bytes = Array(text.utf8)
        var strings: [String] = []
        var start = 0
        repeat {
            let end = min(start + Self.maximumStringLength, bytes.count)
            strings.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
        } while start < bytes.count
        return strings
    }

    /// The record in zone file syntax (RFC 1035 §5.1), on one line:
    /// `name IN TXT "part" "part"`. The text holds no `"` or `\`, so no escaping is needed.
    public var zoneFileLine: String {
        let quoted = characterStrings.map { "\"\($0)\"" }.joined(separator: " ")
        return "\(name) IN TXT \(quoted)"
    }

    /// RFC 1035 §3.3: the length octet limits a character-string to 255 octets.
    public static let maximumStringLength = 255
}
