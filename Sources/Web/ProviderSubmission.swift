import DNS
import Synchronization

/// What a visitor's provider publishes about its submission service
/// (RFC 6186 §3.1 `_submission._tcp`, RFC 8314 §5.1 `_submissions._tcp`),
/// shown when the visitor must switch to that provider's submission port.
public struct ProviderSubmission: Sendable, Hashable, Codable {
    /// The outcome of the look-ups.
    public enum Status: String, Sendable, Hashable, Codable {
        /// At least one usable record.
        case found
        /// No records, or only records saying "not offered" (target `.`).
        case none
        /// The look-ups failed or timed out: nothing can be said.
        case failed
    }

    /// One usable server from the records.
    public struct Server: Sendable, Hashable, Codable {
        /// `submission` (STARTTLS) or `submissions` (implicit TLS).
        public var service: String
        public var host: String
        public var port: Int
        public var security: MailSettings.Security
        public var priority: Int
        public var weight: Int
    }

    public var status: Status
    /// Usable servers: submission first, then by priority and descending weight (RFC 2782).
    public var servers: [Server]

    /// How long one look-up may take before the page gives up on it.
    public static let defaultTimeout: Duration = .seconds(3)

    public init(status: Status, servers: [Server]) {
        self.status = status
        self.servers = servers
    }

    /// Looks up both services of `domain` (A-label form) concurrently.
    public static func lookUp(domain: String, using lookup: any SRVLookup,
                              timeout: Duration = defaultTimeout) async -> ProviderSubmission {
        async let plain = outcome("submission", .startTLS, domain: domain, lookup: lookup, timeout: timeout)
        async let tls = outcome("submissions", .tls, domain: domain, lookup: lookup, timeout: timeout)
        let results = await [plain, tls]
        let servers = results.compactMap { try? $0.get() }.flatMap { $0 }
        if !servers.isEmpty { return ProviderSubmission(status: .found, servers: servers) }
        // Both answered "nothing here": none. Any failure: we cannot tell.
        let allAnswered = results.allSatisfy { (try? $0.get()) != nil }
        return ProviderSubmission(status: allAnswered ? .none : .failed, servers: [])
    }

    private static func outcome(_ service: String, _ security: MailSettings.Security, domain: String,
                                lookup: any SRVLookup, timeout: Duration) async -> Result<[Server], any Error> {
        do {
            let records = try await withTimeout(timeout) {
                try await lookup.lookupSRV(name: "_\(service)._tcp.\(domain)")
            }
            let servers = records
                .filter { !$0.isServiceUnavailable && $0.port != 0 }
                .sorted { ($0.priority, UInt16.max - $0.weight) < ($1.priority, UInt16.max - $1.weight) }
                .prefix(10)
                .map { record in
                    Server(service: service, host: record.target.hasSuffix(".") ? String(record.target.dropLast()) : record.target,
                           port: Int(record.port), security: security,
                           priority: Int(record.priority), weight: Int(record.weight))
                }
            return .success(Array(servers))
        } catch {
            return .failure(error)
        }
    }
}

/// Thrown when a look-up does not answer in time.
struct LookupTimedOut: Error {}

/// Runs `operation`, giving up after `timeout` even if the operation ignores
/// cancellation (a blocking resolver call would): the caller resumes at once,
/// the operation is cancelled and left to finish on its own.
func withTimeout<T: Sendable>(_ timeout: Duration,
                              _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let gate = ResumeOnce<T>()
    return try await withCheckedThrowingContinuation { continuation in
        gate.set(continuation)
        let work = Task {
            do { gate.resume(.success(try await operation())) } catch { gate.resume(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            gate.resume(.failure(LookupTimedOut()))
            work.cancel()
        }
    }
}

/// Resumes a continuation exactly once, whichever of several tasks gets there first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ value: CheckedContinuation<T, any Error>) {
        continuation.withLock { $0 = value }
    }

    func resume(_ result: Result<T, any Error>) {
        let pending = continuation.withLock { stored -> CheckedContinuation<T, any Error>? in
            defer { stored = nil }
            return stored
        }
        pending?.resume(with: result)
    }
}
