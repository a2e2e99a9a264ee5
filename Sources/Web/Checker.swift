import Directory

/// Answers "am I affected?" for an address and a line: reads the domain's
/// kind from the directory (a domain-level fact only; mailboxes are never
/// looked up) and, when the visitor must use another provider's submission
/// port, that provider's RFC 6186 records.
public struct Checker: Sendable {
    public let directory: any AccountDirectory
    public let srvLookup: any SRVLookup
    public let settings: MailSettings
    public let lookupTimeout: Duration

    public init(directory: any AccountDirectory, srvLookup: any SRVLookup, settings: MailSettings,
                lookupTimeout: Duration = ProviderSubmission.defaultTimeout) {
        self.directory = directory
        self.srvLookup = srvLookup
        self.settings = settings
        self.lookupTimeout = lookupTimeout
    }

    /// The kind of `domain` (A-label form). Throws when the directory fails.
    public func domainKind(_ domain: String) async throws -> DomainKind {
        guard try await directory.isHostedDomain(domain) else { return .outside }
        let hosted = try await directory.listDomains().first { $0.name == domain }
        return hosted?.kind == .primary ? .ispDomain : .virtualDomain
    }

    /// The answer for `address` on `line`. Throws only when the directory fails;
    /// DNS failures are part of the answer (``ProviderSubmission/Status/failed``).
    public func check(_ address: CheckedAddress, line: LineDetection) async throws -> CheckResult {
        let kind = try await domainKind(address.domain)
        let verdict = Verdict(line: line.line, domain: kind)
        var provider: ProviderSubmission?
        if verdict == .affectedUseProviderSubmission {
            provider = await ProviderSubmission.lookUp(domain: address.domain, using: srvLookup, timeout: lookupTimeout)
        }
        return CheckResult(
            email: address.address, domain: address.domain, unicodeDomain: address.unicodeDomain,
            domainKind: kind, line: line.line, lineSource: line.source, verdict: verdict,
            settings: kind.isHosted ? settings : nil, providerSubmission: provider)
    }
}
