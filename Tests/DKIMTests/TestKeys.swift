import DKIM

/// Keys generated once per test run (RSA generation takes a moment).
enum TestKeys {
    static let rsa: DKIMKey = {
        do {
            return try DKIMKey.generate(domain: "alato.example", selector: "mail2025", type: .rsa)
        } catch {
            fatalError("RSA key generation failed in the test setup: \(error)")
        }
    }()

    static let ed25519: DKIMKey = {
        do {
            return try DKIMKey.generate(domain: "alato.example", selector: "ed2025", type: .ed25519)
        } catch {
            fatalError("Ed25519 key generation failed in the test setup: \(error)")
        }
    }()
}
