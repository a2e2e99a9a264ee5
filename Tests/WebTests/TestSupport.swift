import DNS
import Directory
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Policy
@testable import Web

/// Test settings: the ISP `alato.example`, one blocked access network,
/// one network without OP25B, the POP3 service and no IMAP server.
enum Fixture {
    /// The ISP's relays (`[op25b] mail_hosts`).
    static let mailHosts = ["198.51.100.25", "2001:db8:25::25"]

    static let settings = WebSettings(
        hostname: "mail.alato.example",
        mail: MailSettings(submissionHost: "smtp.alato.example", pop3Host: "pop.alato.example"),
        trustedProxies: ["127.0.0.1", "::1"])

    /// ``settings`` with an IMAP server the ISP runs elsewhere (993, implicit TLS).
    static var settingsWithIMAP: WebSettings {
        var settings = Fixture.settings
        settings.mail.imap = .init(host: "imap.alato.example", port: 993, security: .tls)
        return settings
    }

    static func policy() throws -> OP25BPolicy {
        try OP25BPolicy(
            accessNetworks: [
                AccessNetworkSpec(name: "alato-express", prefixes: ["203.0.113.0/24", "2001:db8:100::/40"], op25b: true),
                AccessNetworkSpec(name: "alato-static", prefixes: ["192.0.2.0/24"], op25b: false),
            ],
            mailHosts: mailHosts)
    }

    /// The ISP's domain, a virtual domain and (not hosted) the outside world.
    static func directory(exemptions: [OP25BExemption] = []) -> FakeDirectory {
        FakeDirectory(exemptions: exemptions, domains: [
            HostedDomain(name: "alato.example", kind: .primary, created: Date(timeIntervalSince1970: 0)),
            HostedDomain(name: "virtual.example", kind: .virtual, created: Date(timeIntervalSince1970: 0)),
            HostedDomain(name: "xn--eckwd4c7cu47r2wf.example", kind: .virtual, created: Date(timeIntervalSince1970: 0)),
        ])
    }

    static func app(
        settings: WebSettings = Fixture.settings,
        directory: any AccountDirectory = Fixture.directory(),
        srv: any SRVLookup = FakeSRV()
    ) throws -> some ApplicationProtocol {
        // The in-process test client has no peer address: the line is never detected as the
        // ISP's, so exemptions are only read over a live connection (ExemptionCheckerTests).
        let logger = Logger(label: "web-test")
        let web = try CustomerWeb(settings: settings, policy: try policy(), directory: directory, srvLookup: srv,
                                  logger: logger)
        return buildWebApplication(web: web, logger: logger, port: 0)
    }
}

/// SRV answers by name; names not listed have no records; `failing` throws.
struct FakeSRV: SRVLookup {
    struct Failure: Error {}
    var records: [String: [SRVRecord]] = [:]
    var failing = false
    var delay: Duration?

    func lookupSRV(name: String) async throws -> [SRVRecord] {
        if let delay { try? await Task.sleep(for: delay) }
        if failing { throw Failure() }
        return records[name] ?? []
    }
}

/// A directory of domains only: the web never asks for more. Every other
/// method fails, so a test notices if the web starts looking up mailboxes.
final class FakeDirectory: AccountDirectory, @unchecked Sendable {
    struct NotForTheWeb: Error {}
    let domains: [HostedDomain]
    let failing: Bool
    private let lock = NSLock()
    private var _calls: [String] = []
    private var _exemptions: [OP25BExemption]

    /// The directory methods called, in order.
    var calls: [String] { lock.withLock { _calls } }

    init(exemptions: [OP25BExemption] = [], domains: [HostedDomain], failing: Bool = false) {
        self.domains = domains
        self.failing = failing
        self._exemptions = exemptions
    }

    private func record(_ call: String) throws {
        lock.withLock { _calls.append(call) }
        if failing { throw DirectoryError.storageFailure("disk on fire") }
    }

    func listDomains() async throws -> [HostedDomain] {
        try record("listDomains")
        return domains
    }

    func isHostedDomain(_ name: String) async throws -> Bool {
        try record("isHostedDomain(\(name))")
        return domains.contains { $0.name == name.lowercased() }
    }

    func addDomain(_ name: String, kind: HostedDomain.Kind) async throws -> HostedDomain { throw NotForTheWeb() }
    func removeDomain(_ name: String) async throws { throw NotForTheWeb() }
    func addUser(_ address: String, password: Password) async throws -> Account { throw NotForTheWeb() }
    func addUser(_ address: String, passwordHash: String) async throws -> Account { throw NotForTheWeb() }
    func user(_ address: String) async throws -> Account? { try record("user"); throw NotForTheWeb() }
    func listUsers(domain: String?) async throws -> [Account] { try record("listUsers"); throw NotForTheWeb() }
    func setPassword(_ address: String, password: Password) async throws { throw NotForTheWeb() }
    func disableUser(_ address: String) async throws { throw NotForTheWeb() }
    func enableUser(_ address: String) async throws { throw NotForTheWeb() }
    func removeUser(_ address: String) async throws { throw NotForTheWeb() }
    func addAlias(_ alias: String, target: String) async throws -> Alias { throw NotForTheWeb() }
    func listAliases() async throws -> [Alias] { throw NotForTheWeb() }
    func removeAlias(_ alias: String, target: String?) async throws { throw NotForTheWeb() }
    func authenticate(username: String, password: Password) async throws -> AuthenticationResult { throw NotForTheWeb() }
    func resolveRecipient(_ address: String) async throws -> RecipientResolution { try record("resolveRecipient"); throw NotForTheWeb() }
    func addressesOwned(by account: String) async throws -> [String] { throw NotForTheWeb() }
    func mayAccount(_ account: String, sendAs address: String) async throws -> Bool { throw NotForTheWeb() }
    /// As `portcullis op25b exempt add` stores it (the web itself never adds one).
    func addExemption(prefix: String, reason: String, until: Date?) async throws -> OP25BExemption {
        let exemption = OP25BExemption(prefix: prefix, reason: reason, created: Date(), until: until)
        lock.withLock { _exemptions.append(exemption) }
        return exemption
    }

    func listExemptions() async throws -> [OP25BExemption] {
        try record("listExemptions")
        return lock.withLock { _exemptions }
    }
    func removeExemption(prefix: String) async throws { throw NotForTheWeb() }
}

extension TestResponse {
    /// The body as UTF-8 text.
    var text: String { String(buffer: body) }
}

/// Percent-encodes a query value the way a browser's form does.
func formEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._*")
    return value.addingPercentEncoding(withAllowedCharacters: allowed)!
        .replacingOccurrences(of: "%20", with: "+")
}

extension String {
    /// Whether the page contains `text` as HTML shows it (escaped).
    func containsText(_ text: String) -> Bool {
        contains(MarkupText.escape(text))
    }
}

extension String {
    /// Whether the UTF-8 bytes of `needle` occur in this string's bytes
    /// (no Unicode grapheme comparison).
    func containsBytes(_ needle: String) -> Bool {
        let haystack = Array(utf8)
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, haystack.count >= pattern.count else { return pattern.isEmpty }
        for start in 0...(haystack.count - pattern.count) where haystack[start] == pattern[0] {
            if Array(haystack[start..<start + pattern.count]) == pattern { return true }
        }
        return false
    }
}
