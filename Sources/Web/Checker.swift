import Directory
import Foundation
import Policy

/// Answers "am I affected?" for an address and a line: reads the domain's
/// kind from the directory (a domain-level fact only; mailboxes are never
/// looked up), the OP25B exemptions when the visitor was detected on a
/// blocked line, and, when the visitor must use another provider's
/// submission port, that provider's RFC 6186 records.
public struct Checker: Sendable {
    public let directory: any AccountDirectory
    public let srvLookup: any SRVLookup
    public let settings: MailSettings
    /// The configured policy; the exemptions come from the directory on each check.
    public let policy: OP25BPolicy
    public let lookupTimeout: Duration
    /// The infected-line notice's counts; nil when `[op25b] collect` is off.
    public let infection: OP25BInfectionLookup?
    /// The time exemptions are judged at.
    let now: @Sendable () -> Date

    public init(directory: any AccountDirectory, srvLookup: any SRVLookup, settings: MailSettings,
                policy: OP25BPolicy, lookupTimeout: Duration = ProviderSubmission.defaultTimeout,
                infection: OP25BInfectionLookup? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.infection = infection
        self.directory = directory
        self.srvLookup = srvLookup
        self.settings = settings
        self.policy = policy
        self.lookupTimeout = lookupTimeout
        self.now = now
    }

    /// The kind of `domain` (A-label form). Throws when the directory fails.
    public func domainKind(_ domain: String) async throws -> DomainKind {
        guard try await directory.isHostedDomain(domain) else { return .outside }
        let hosted = try await directory.listDomains().first { $0.name == domain }
        return hosted?.kind == .primary ? .ispDomain : .virtualDomain
    }

    /// The active exemption releasing the visitor from OP25B, judged by the same
    /// policy value as the firewall rules. Only for an address detected on a
    /// blocked line: a visitor who chose a line may be asking about another
    /// connection than the one the page sees. Read from the directory on each
    /// check, so `portcullis op25b exempt add` applies here at once.
    public func activeExemption(for line: LineDetection) async throws -> Exemption? {
        guard line.source == .detected, line.line == .isp, let client = line.clientAddress else { return nil }
        let stored = try await directory.listExemptions()
        // Rows that do not parse or no longer fit the configuration are left out here;
        // `portcullis op25b render` and `explain` name them to the operator.
        let candidates = stored.compactMap {
            try? Exemption(parsing: $0.prefix, reason: $0.reason, created: $0.created, until: $0.until)
        }
        return policy.replacingExemptions(candidates).policy.activeExemption(containing: client, at: now())
    }

    /// The infected-line notice for the visitor's own address (`visitor`: the client address
    /// the connection came from, whatever line was chosen), or nil.
    public func suspicion(for visitor: IPAddress?) async throws -> CheckResult.Suspicion? {
        guard let infection, let visitor else { return nil }
        return try await infection.suspicion(for: visitor)
    }

    /// The answer for `address` on `line`, with the infected-line notice for `visitor`. Throws
    /// only when the directory fails; DNS failures are part of the answer
    /// (``ProviderSubmission/Status/failed``).
    public func check(_ address: CheckedAddress, line: LineDetection, visitor: IPAddress? = nil) async throws -> CheckResult {
        let kind = try await domainKind(address.domain)
        let exemption = try await activeExemption(for: line)
        let verdict = Verdict(line: line.line, domain: kind, exempt: exemption != nil)
        var provider: ProviderSubmission?
        if verdict == .affectedUseProviderSubmission {
            provider = await ProviderSubmission.lookUp(domain: address.domain, using: srvLookup, timeout: lookupTimeout)
        }
        return CheckResult(
            email: address.address, domain: address.domain, unicodeDomain: address.unicodeDomain,
            domainKind: kind, line: line.line, lineSource: line.source, verdict: verdict,
            settings: kind.isHosted ? settings : nil, providerSubmission: provider,
            exemption: exemption.flatMap { exemption in
                line.clientAddress.map { client in
                    CheckResult.Exemption(
                        clientAddress: client.description, prefix: exemption.prefix.description,
                        until: exemption.until.map { $0.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)) })
                }
            },
            lineSuspicious: try await suspicion(for: visitor ?? line.clientAddress))
    }
}
